// The export page's state: the open file, its workers and requests, the list's rows and
// view, the selection, the cursor, the search.

/**
 * One conversation of the list, as the worker's index reads it (the core's summary and its
 * position in the file).
 * @typedef {object} Summary
 * @property {number} index position in the file
 * @property {string} id the conversation's id
 * @property {string} title
 * @property {number | null} [create_time] seconds since the epoch
 * @property {number | null} [update_time]
 * @property {number} messages
 * @property {string | null} [model]
 * @property {string | null} [gizmo_id]
 * @property {string | null} [gizmo_label] what `gizmo_id` is: "Project" or "GPT"
 * @property {boolean} is_archived
 */

/**
 * A conversation that could not be read or saved.
 * @typedef {{index: number, title: string, kind: string, message: string}} FailedConversation
 */

/** @typedef {{kind: string, message: string}} ErrorInfo */

/**
 * An error of the worker or the page, with the core's kind ("cancelled" when the page
 * stopped the request).
 * @typedef {Error & {kind?: string}} KindError
 */

/**
 * A worker's progress (posted at most every 100 ms): where it is in the file, and what the
 * phase counts besides.
 * @typedef {object} Progress
 * @property {"open" | "find" | "search" | "save"} phase
 * @property {number} conversations read (saved, for "save")
 * @property {number} bytesRead
 * @property {number} bytesTotal
 * @property {number} [fileSize] "open": the file's size
 * @property {number} [matches] "search": conversations found so far
 * @property {number | null} [goal] "save": conversations to save (null: all)
 * @property {number} [zipBytes] "save": bytes written
 */

/**
 * The index worker's "opened" message: the file is read.
 * @typedef {object} Opened
 * @property {"zip" | "json"} kind
 * @property {string[]} accountTerms the account's name and e-mail (from user.json)
 * @property {number} count conversations in the file (failed ones included)
 * @property {FailedConversation[]} errors
 * @property {boolean} searchInMemory whether the search texts fit the worker's budget
 * @property {number} textBytes
 * @property {number} jsonBytes
 * @property {number} seconds
 */

/**
 * One conversation converted by the core (its files as text, a ZIP's images as bytes).
 * @typedef {object} Converted
 * @property {string} title
 * @property {{fileName: string, text: string, mime: string}[]} files
 * @property {{path: string, bytes: Uint8Array}[]} [assets]
 */

/**
 * A search's answer: the matching conversations (positions in the file) and a snippet of
 * each, both null when the query has nothing to look for; the terms as the core parsed the
 * query.
 * @typedef {{indexes: number[] | null, snippets: string[] | null, terms?: string[]}} SearchResult
 */

/**
 * A save job's answer.
 * @typedef {object} SaveResult
 * @property {Blob | null} blob the ZIP to download (null: it went into the file the user chose)
 * @property {number} bytes the ZIP's size
 * @property {number} saved conversations saved
 * @property {FailedConversation[]} errors conversations that could not be saved
 * @property {number} entries files in the ZIP
 */

/**
 * A request waiting for its worker's answer.
 * @typedef {object} Pending
 * @property {(data: any) => void} resolve
 * @property {(error: KindError) => void} reject
 * @property {Worker} worker
 */

/**
 * The search shown: its query, the terms as the core parsed it, and the matching
 * conversations (position in the file → snippet).
 * @typedef {{query: string, terms: string[], hits: Map<number, string>}} SearchState
 */

/**
 * @typedef {object} State
 * @property {File | null} file
 * @property {Worker | null} worker the index worker
 * @property {{worker: Worker, kind: string} | null} job the running job
 * @property {"zip" | "json" | null} kind
 * @property {Summary[]} rows summaries by position in the file (holes where a conversation failed)
 * @property {Summary[]} all every readable summary, in file order
 * @property {Summary[]} view what the list shows, filtered and sorted
 * @property {Map<number, number>} [positions] position in the file → index into `view`
 * @property {number} count conversations in the file (failed ones included)
 * @property {FailedConversation[]} openErrors
 * @property {number} [openSeconds]
 * @property {Set<number>} checked positions in the file
 * @property {number} active cursor: index into `view`
 * @property {number} anchor start of a Shift+click range (index into `view`)
 * @property {number} current previewed conversation (position in the file)
 * @property {boolean} searchInMemory
 * @property {SearchState | null} search
 * @property {number} searchSeq
 * @property {Record<string, any>} options the core's options from the settings
 * @property {Map<number, HTMLElement>} rendered view index → row element
 * @property {Map<number, Pending>} requests
 * @property {number} nextId
 */

/** @type {State} */
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
