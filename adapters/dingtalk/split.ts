/**
 * The reply-text splitter now lives in the adapter kit (adapters/kit/split.ts); this module re-exports
 * it for adapters that still import it from here. New code imports adapters/kit/split.ts.
 */
export { sanitizeReplyText, splitTextByBytes } from '../kit/split.ts';
