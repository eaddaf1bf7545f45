"""Collections of documents on disk: CSV, Parquet, Feather, RIS and OpenAlex JSON Lines in; CSV, Parquet, RIS out.

Files are read in chunks (memory stays flat on large corpora) and every field of the input is kept:
CSV cells as the exact text they hold, Parquet and Feather columns with their types, RIS tags under
``rispy``'s names (``title``, ``abstract``, ``authors``...), OpenAlex works with their top-level
fields (nested ones as JSON text) and the abstract rebuilt from ``abstract_inverted_index``.

One module a job: ``formats`` (which format, by extension, and :class:`DocumentsError`), ``tabular``
(CSV, Parquet, Feather), ``ris``, ``openalex``, ``readers`` (any format, in chunks), ``columns``
(title and abstract columns, a document's text), ``label_cells`` (a 0/1 label column) and
``writers`` (atomic writes, and outputs that would overwrite the input refused).
"""

from __future__ import annotations

from .columns import ABSTRACT_COLUMNS, LIST_SEPARATOR, TITLE_COLUMNS, document_texts, find_text_columns, is_missing
from .formats import INPUT_FORMATS, OUTPUT_FORMATS, DocumentsError, input_format, output_format
from .label_cells import LABEL_TEXTS, label_values
from .openalex import abstract_from_inverted_index
from .readers import count_documents, iter_documents, read_documents
from .writers import DocumentWriter, check_outputs, same_file, write_documents

__all__ = [
    "ABSTRACT_COLUMNS", "INPUT_FORMATS", "LABEL_TEXTS", "LIST_SEPARATOR", "OUTPUT_FORMATS", "TITLE_COLUMNS",
    "DocumentWriter", "DocumentsError", "abstract_from_inverted_index", "check_outputs", "count_documents",
    "document_texts", "find_text_columns", "input_format", "is_missing", "iter_documents", "label_values",
    "output_format", "read_documents", "same_file", "write_documents",
]
