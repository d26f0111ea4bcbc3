/** The two pools of backends the front door dispatches to: CPU serves, GPU takes the overflow. */
export const Tier = { cpu: 'cpu', gpu: 'gpu' } as const;
export type Tier = (typeof Tier)[keyof typeof Tier];
