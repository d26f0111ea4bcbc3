/** The API dialects the front door speaks to its clients. */
export const Dialect = {
  openai: 'openai',
  tei: 'tei',
  djl: 'djl',
} as const;
export type Dialect = (typeof Dialect)[keyof typeof Dialect];
