"""A searchable archive of Chinese government bulletins.

Modules, one responsibility each:
  sources / parsers  reading source files (text pages, portal HTML, JSON Lines)
  normalize          derived field values (dates, 发文字号, widths, whitespace)
  model              the Record a parser produces
  store              the archive of record (SQLite): originals, versions, jobs
  analysis           folding, jieba segmentation, the Whoosh analyzer, synonyms
  grams              the substring index that makes search complete
  index              the Whoosh index and index generations (build, sync, switch)
  query              the query language
  search             the search service shared by the CLI, web page and API
  highlight          marked titles and snippets
  jobs               ingest and reindex under the writer lock
  config             the data home and archive.toml
  cli                the `archive` command
"""

__version__ = "0.1.0"
