export function clientsSuite(_l: string, _s: unknown): void {}
