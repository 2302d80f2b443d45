/** Moved to src/matching/traditional.ts (the notices use it too); re-exported for the bot's imports. */
export * from '../matching/traditional.ts';
