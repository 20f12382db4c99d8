"""File formats: pure ``parse_*``/``generate_*`` pairs with thin ``read_*``/``write_*``.

Every ``parse_*`` returns a :class:`maillage.io.result.ParseResult` (actors, links,
issues, rows, rejected_rows) and never raises on bad data; every ``generate_*`` yields
text chunks (or returns bytes for XLSX). One module per format:

========================  ==================================================  ==========
module                    format                                              direction
========================  ==================================================  ==========
``tabular``               any actor/link CSV or XLSX (mapping + guesses)      read
``csvfile``               actors/links CSV, ``utf-8`` or ``excel-fr``         both
``xlsx``                  actors/links workbook                               both
``jsonfile``              actors/links JSON document                          both
``geojson``               actors as points, territories as polygons           both
``gexf``                  GEXF 1.3 (Gephi)                                    both
``graphml``               GraphML                                             both
``kumu``                  Kumu workbook (elements + connections)              read
``mediation``             lieux de médiation numérique CSV v1.0.2, map JSON   both / read
``data_inclusion``        data·inclusion structures and services              read
``scdl``                  SCDL subventions (funding links)                    read
``decp``                  DECP public procurement JSON (contract links)       read
``france_services``       France Services list                                read
``needs``                 territorial needs and indicator tables              read
========================  ==================================================  ==========

Shared pieces: ``reading`` (encodings, delimiters, header), ``values`` (French numbers
and dates, identifier checks and repairs), ``columns`` (header guesses), ``classify``
(world and category rules), ``tableschema`` and ``schema_errors`` (schema checks).
"""
