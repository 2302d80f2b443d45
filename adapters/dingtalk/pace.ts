/**
 * The rate gate now lives in the adapter kit (adapters/kit/rate-gate.ts); this module re-exports it
 * for adapters that still import it from here. New code imports adapters/kit/rate-gate.ts.
 */
export { createRateGate, type RateGate, type RateGateOptions } from '../kit/rate-gate.ts';
