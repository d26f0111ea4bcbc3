/** The API a backend speaks, which decides how a batch is sent to it and its answer read. */
export const UpstreamDialect = {
  djl: 'djl',
  tei: 'tei',
  openai: 'openai',
  /** The in-process ONNX Runtime engine (`local:`), no HTTP involved. */
  local: 'local',
  /** The embedding Lambda worker (`lambda://`), invoked through the Lambda API. */
  lambda: 'lambda',
} as const;
export type UpstreamDialect = (typeof UpstreamDialect)[keyof typeof UpstreamDialect];
