export * from './inventory.js';
export * from './api.js';
export * from './summary.js';
export * from './diff.js';
export * from './auth.js';
export * from './media.js';
export * from './bad-ranges.js';
export * from './scrub.js';
