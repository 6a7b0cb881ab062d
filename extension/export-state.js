// The export page's state: the open file, its workers and requests, the list's rows and
// view, the selection, the cursor, the search.

export const state = {
  file: null,
  worker: null, // the index worker
  job: null, // {worker, kind} of the running job
  kind: null, // "zip" | "json"
  rows: [], // summaries by position in the file (holes where a conversation failed)
  all: [], // every readable summary, in file order
  view: [], // what the list shows, filtered and sorted
  count: 0, // conversations in the file (failed ones included)
  openErrors: [],
  checked: new Set(), // positions in the file
  active: -1, // cursor: index into `view`
  anchor: -1, // start of a Shift+click range (index into `view`)
  current: -1, // previewed conversation (position in the file)
  searchInMemory: true,
  search: null, // {query, terms, hits: Map(position → snippet)}
  searchSeq: 0,
  options: {}, // the core's options from the settings
  rendered: new Map(), // view index → row element
  requests: new Map(),
  nextId: 1,
};
