/** Model delivery: download, verify, cache in IndexedDB, open offline. See README.md. */
export { createModelStore, type ModelStoreOptions } from './store';
export { createUrlSource } from './url-source';
export { createFolderSource } from './folder-source';
export { DEFAULT_CHUNK_SIZE } from './chunking';
export { formatBytes } from './quota';
export type * from './types';
