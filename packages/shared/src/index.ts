export * from './inventory.js';
export * from './api.js';
