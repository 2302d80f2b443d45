/**
 * Limits of the local /try chat page, shared by its routes (src/http/try-page.ts) and by adapters that
 * serve page APIs of their own beside it (the sandbox, adapters/sandbox/).
 */

/** Largest /try/ask body, in bytes. */
export const TRY_MAX_BODY_BYTES = 16 * 1024;
/** Longest question the try page accepts, in characters. */
export const TRY_MAX_QUESTION_CHARS = 2000;
