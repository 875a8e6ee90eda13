"""A searchable archive of Chinese government bulletins.

Modules, one responsibility each:
  sources / parsers  reading source files (text pages, portal HTML, JSON Lines)
  fields             the registry of the record's fields (labels, roles, JSON/CSV keys)
  normalize          derived field values (whitespace, keywords, labels -> record)
  dates              dates: parsing, stored/public forms, date codes, the filed date
  doc_numbers        发文字号: bracket forms, canonical form, the query pattern
  model              the Record a parser produces
  public             a bulletin's public shape (JSON keys, dates, labelled rows)
  store              the archive of record (SQLite): originals, versions, jobs
  analysis           folding, jieba segmentation, the Whoosh tokenizer, synonyms
  grams              the substring index that makes search complete
  index              the Whoosh index and index generations (build, sync, switch)
  query              the query language
  search             the search service shared by the CLI, web page and API
  highlight          marked titles and snippets
  whoosh_compat      every Whoosh internal used, for the pinned version
  errors             exit codes and typed errors with codes
  pause              the writers' testing hook
  jobs               ingest and reindex under the writer lock
  config             the data home and archive.toml
  cli                the `archive` command
"""

__version__ = "0.1.0"
