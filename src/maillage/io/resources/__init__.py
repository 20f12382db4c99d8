"""Reading resources of the resource centre from files (pure parsing, no database).

:func:`read_paths` turns files and folders into :class:`ResourceRecord` values:
Markdown with YAML front matter, HTML, PDF, DOCX and ODT documents
(:mod:`.documents`), and the data sets of ``shared/data/resources``
(:mod:`.sets`: the service-public.fr and Ministère du Travail JSONL fiches, the
oral transcripts with speaker turns, the beta.gouv.fr startup fiches). Personal
e-mail addresses never leave this package: :func:`mask_emails` replaces them in
every text of a record (see :mod:`.privacy`).
"""

from __future__ import annotations

from maillage.io.resources.model import ResourceFileError, ResourceRecord, Turn
from maillage.io.resources.reader import read_path, read_paths

__all__ = ["ResourceFileError", "ResourceRecord", "Turn", "read_path", "read_paths"]
