"""Territories known to the database, for checks and commune look-ups during an import."""

from __future__ import annotations

import functools

import sqlalchemy as sa

from maillage.geo import load_geography
from maillage.model.identifiers import departement_of_postcode
from maillage.model.records import ActorRecord
from maillage.model.text import fold
from maillage.storage.tables import (
    territory,
    territory_postcode,
)


class _Reference:
    """Territories known to the database, for checks and commune look-ups.

    Only the territory codes are read up front; the commune look-ups by name and
    postcode, the pre-merger codes and the arrondissements are read on first use
    (a file whose rows all give a current commune code never needs them).
    """

    def __init__(self, conn: sa.Connection) -> None:
        self._conn = conn
        self.territories: set[str] = set(conn.execute(sa.select(territory.c.code)).scalars())
        self.communes = {c[4:] for c in self.territories if c.startswith("COM:")}

    @functools.cached_property
    def _communes_named(self) -> list[tuple[str, str, str | None]]:
        """(INSEE code, folded name, département) of every commune, least populous first."""
        query = (
            sa.select(territory.c.code, territory.c.name_folded, territory.c.parent_code)
            .where(territory.c.level == "commune")
            .order_by(sa.func.coalesce(territory.c.population, 0))
        )
        return [(code[4:], name, parent) for code, name, parent in self._conn.execute(query)]

    @functools.cached_property
    def names(self) -> dict[str, str]:
        """INSEE code -> name of every commune (and municipal arrondissement), as written."""
        query = sa.select(territory.c.code, territory.c.name).where(
            territory.c.level.in_(("commune", "arrondissement_municipal"))
        )
        return {code[4:]: name for code, name in self._conn.execute(query)}

    @functools.cached_property
    def by_name(self) -> dict[tuple[str, str | None], str]:
        """Folded commune name (and département) -> INSEE code, the most populous
        commune winning a shared name."""
        by_name: dict[tuple[str, str | None], str] = {}
        for code, name, parent in self._communes_named:
            by_name[(name, parent)] = by_name[(name, None)] = code
        return by_name

    @functools.cached_property
    def by_postcode(self) -> dict[str, list[tuple[str, str]]]:
        """Postcode -> (INSEE code, folded name) of its communes."""
        names = {code: name for code, name, _ in self._communes_named}
        by_postcode: dict[str, list[tuple[str, str]]] = {}
        for postcode, commune in self._conn.execute(sa.select(territory_postcode)):
            by_postcode.setdefault(postcode, []).append((commune, names.get(commune, "")))
        return by_postcode

    @functools.cached_property
    def postcode_pairs(self) -> frozenset[tuple[str, str]]:
        """Every (postcode, INSEE code) the geography lists: one look-up per checked row."""
        return frozenset(
            (postcode, code) for postcode, communes in self.by_postcode.items()
            for code, _ in communes
        )  # fmt: skip

    @functools.cached_property
    def former(self) -> dict[str, str]:
        """Pre-merger commune code -> the current commune's. Only the communes with
        former codes have their extra JSON decoded (decoding all of them took longer
        than a small import itself)."""
        with_former = sa.cast(territory.c.extra, sa.Text).contains('"former_codes"')
        query = sa.select(territory.c.code, territory.c.extra).where(
            territory.c.level == "commune", with_former
        )
        return {
            old: code[4:]
            for code, extra in self._conn.execute(query)
            for old in (extra or {}).get("former_codes") or ()
            if old not in self.communes
        }

    @functools.cached_property
    def parents(self) -> dict[str, str]:
        """Municipal arrondissement -> its commune."""
        query = sa.select(territory.c.code, territory.c.parent_code).where(
            territory.c.level == "arrondissement_municipal"
        )
        return {code[4:]: (parent or "")[4:] for code, parent in self._conn.execute(query)}

    def commune_of(self, record: ActorRecord) -> str | None:
        """The INSEE code of a record without one: from its postcode (the commune of that
        name among the postcode's, else its only arrondissement), else its name (in the
        postcode's département, a former commune's name there included: see
        :meth:`named_otherwise`)."""
        return self._commune_of(record)[0]

    def commune_said(self, record: ActorRecord) -> str | None:
        """What the report says of a record's commune name that is not a current
        commune's (:meth:`named_otherwise`), or None."""
        return self._commune_of(record)[1]

    def named_otherwise(self, name: str, departement: str, postcode: str | None) -> tuple[
        str | None, str | None
    ]:  # fmt: skip
        """``(INSEE code, what the report says)`` for a commune ``name`` that no current
        commune of ``departement`` (``DEP:16``) bears as written: a former commune's
        (déléguée, associée, merged), a place of La Poste's line 5 or a ``St`` written
        for saint (:meth:`maillage.geo.Geography.communes_named`). A name that several
        current communes could be gives no code, and says which."""
        geo = load_geography()
        places = [
            p for p in geo.communes_named(name, departement=departement[4:], postcode=postcode)
            if p.commune in self.communes
        ]  # fmt: skip
        if not places:
            return None, None
        said = [p.said(geo.communes[p.commune].name) for p in places]
        if len(places) == 1:
            return places[0].commune, f"« {name} » : {said[0]} ; commune actuelle retenue"
        return None, f"« {name} » peut être : {' ; '.join(said)} ; aucune commune retenue"

    def _commune_of(self, record: ActorRecord) -> tuple[str | None, str | None]:
        name = fold(record.commune_name) if record.commune_name else None
        candidates = self.by_postcode.get(record.postcode or "", [])
        if len(candidates) == 1:
            return candidates[0][0], None
        for code, folded in candidates:
            if name and folded == name:
                return code, None
        wider = {self.parents.get(code) for code, _ in candidates}
        precise = [code for code, _ in candidates if code not in wider]
        if candidates and len(precise) == 1:  # a postcode of one arrondissement (75010)
            return precise[0], None
        if not name:
            return None, None
        # a same-named commune is looked for in the département of the postcode, or of
        # the record's territories: never the most populous one of another département
        postcode_dep = departement_of_postcode(record.postcode)
        deps = [postcode_dep] if postcode_dep else []
        deps += [t for t in record.territories if t.startswith("DEP:")]
        found = self.by_name.get((name, deps[0] if deps else None))
        if found is None and deps:
            return self.named_otherwise(record.commune_name or name, deps[0], record.postcode)
        return found or (None if deps else self.by_name.get((name, None))), None
