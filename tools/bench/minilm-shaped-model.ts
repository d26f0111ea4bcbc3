/**
 * A model with all-MiniLM-L6-v2's shape and none of its knowledge, for measuring what the real
 * model would cost here (the real one cannot be downloaded on this machine): a BERT encoder with
 * 6 layers, hidden size 384, 12 heads, feed-forward 1536, 30,522-token vocabulary and 512
 * positions, random weights. Dense arithmetic costs the same whatever the weights hold, so its
 * inference time is the real model's. `quantized` builds the matrix products the way
 * `quantize_dynamic` writes them in the uint8 AVX2 export (DynamicQuantizeLinear +
 * MatMulInteger, uint8 weights), which is the file `npm run model:fetch` downloads.
 */
import onnxProto, { type onnx as OnnxTypes } from 'onnx-proto';

const { onnx } = onnxProto;
const { FLOAT, INT64, UINT8 } = onnx.TensorProto.DataType;

export const MINILM_SHAPE = {
  layers: 6,
  hidden: 384,
  heads: 12,
  intermediate: 1536,
  vocab: 30_522,
  positions: 512,
} as const;

const LAYER_NORM_EPSILON = 1e-12;
/** Weights drawn uniformly from ±WEIGHT_RANGE keep activations finite through 6 layers. */
const WEIGHT_RANGE = 0.05;
/** Added to attention scores at padded positions, as BERT exports do. */
const MASKED_SCORE = -10_000;

/** A small deterministic generator (mulberry32): the same model every run. */
function random(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

class GraphBuilder {
  readonly nodes: OnnxTypes.INodeProto[] = [];
  readonly initializers: OnnxTypes.ITensorProto[] = [];
  private counter = 0;
  private readonly next = random(42);

  name(prefix: string): string {
    return `${prefix}_${this.counter++}`;
  }

  node(opType: string, inputs: string[], attributes: OnnxTypes.IAttributeProto[] = [], outputs = 1, domain = ''): string[] {
    const names = Array.from({ length: outputs }, () => this.name(opType.toLowerCase()));
    this.nodes.push({ opType, input: inputs, output: names, attribute: attributes, domain });
    return names;
  }

  one(opType: string, inputs: string[], attributes: OnnxTypes.IAttributeProto[] = []): string {
    return this.node(opType, inputs, attributes)[0]!;
  }

  floats(dims: number[], fill?: number): string {
    const data = new Float32Array(dims.reduce((a, b) => a * b, 1));
    for (let index = 0; index < data.length; index++) data[index] = fill ?? (this.next() * 2 - 1) * WEIGHT_RANGE;
    const name = this.name('w');
    this.initializers.push({ name, dims, dataType: FLOAT, rawData: new Uint8Array(data.buffer) });
    return name;
  }

  bytes(dims: number[]): string {
    const data = new Uint8Array(dims.reduce((a, b) => a * b, 1));
    for (let index = 0; index < data.length; index++) data[index] = Math.floor(this.next() * 256);
    const name = this.name('q');
    this.initializers.push({ name, dims, dataType: UINT8, rawData: data });
    return name;
  }

  constant(dataType: number, dims: number[], data: ArrayBufferView): string {
    const name = this.name('c');
    this.initializers.push({ name, dims, dataType, rawData: new Uint8Array(data.buffer, data.byteOffset, data.byteLength) });
    return name;
  }

  int64s(values: number[]): string {
    return this.constant(INT64, [values.length], BigInt64Array.from(values.map(BigInt)));
  }

  scalarFloat(value: number): string {
    return this.constant(FLOAT, [], Float32Array.from([value]));
  }
}

const intAttribute = (name: string, i: number): OnnxTypes.IAttributeProto => ({ name, type: onnx.AttributeProto.AttributeType.INT, i });
const intsAttribute = (name: string, ints: number[]): OnnxTypes.IAttributeProto => ({ name, type: onnx.AttributeProto.AttributeType.INTS, ints });
const floatAttribute = (name: string, f: number): OnnxTypes.IAttributeProto => ({ name, type: onnx.AttributeProto.AttributeType.FLOAT, f });

/** x · W + b, in float or the way dynamic quantization rewrites it. */
function dense(graph: GraphBuilder, x: string, inputs: number, outputs: number, quantized: boolean): string {
  const bias = graph.floats([outputs]);
  if (!quantized) return graph.one('Add', [graph.one('MatMul', [x, graph.floats([inputs, outputs])]), bias]);
  const [xq, xScale, xZero] = graph.node('DynamicQuantizeLinear', [x], [], 3) as [string, string, string];
  const weights = graph.bytes([inputs, outputs]);
  const weightZero = graph.constant(UINT8, [], Uint8Array.from([128]));
  const product = graph.one('MatMulInteger', [xq, weights, xZero, weightZero]);
  const scale = graph.one('Mul', [xScale, graph.scalarFloat(WEIGHT_RANGE / 128)]);
  return graph.one('Add', [graph.one('Mul', [graph.one('Cast', [product], [intAttribute('to', FLOAT)]), scale]), bias]);
}

function layerNorm(graph: GraphBuilder, x: string): string {
  const { hidden } = MINILM_SHAPE;
  return graph.one('LayerNormalization', [x, graph.floats([hidden], 1), graph.floats([hidden], 0)],
    [intAttribute('axis', -1), floatAttribute('epsilon', LAYER_NORM_EPSILON)]);
}

function encoderLayer(graph: GraphBuilder, x: string, maskBias: string, quantized: boolean): string {
  const { hidden, heads, intermediate } = MINILM_SHAPE;
  const headSize = hidden / heads;
  const split = graph.int64s([0, 0, heads, headSize]);
  const toHeads = (projection: string, perm: number[]): string =>
    graph.one('Transpose', [graph.one('Reshape', [projection, split])], [intsAttribute('perm', perm)]);
  const q = toHeads(dense(graph, x, hidden, hidden, quantized), [0, 2, 1, 3]);
  const kT = toHeads(dense(graph, x, hidden, hidden, quantized), [0, 2, 3, 1]);
  const v = toHeads(dense(graph, x, hidden, hidden, quantized), [0, 2, 1, 3]);
  const scores = graph.one('Add', [graph.one('Mul', [graph.one('MatMul', [q, kT]), graph.scalarFloat(1 / Math.sqrt(headSize))]), maskBias]);
  const context = graph.one('MatMul', [graph.one('Softmax', [scores], [intAttribute('axis', -1)]), v]);
  const merged = graph.one('Reshape', [graph.one('Transpose', [context], [intsAttribute('perm', [0, 2, 1, 3])]), graph.int64s([0, 0, hidden])]);
  const attended = layerNorm(graph, graph.one('Add', [x, dense(graph, merged, hidden, hidden, quantized)]));
  const up = dense(graph, attended, hidden, intermediate, quantized);
  // GELU, erf form as in BERT: 0.5 · x · (1 + erf(x / √2)).
  const erf = graph.one('Erf', [graph.one('Mul', [up, graph.scalarFloat(Math.SQRT1_2)])]);
  const gelu = graph.one('Mul', [graph.one('Mul', [up, graph.scalarFloat(0.5)]), graph.one('Add', [erf, graph.scalarFloat(1)])]);
  return layerNorm(graph, graph.one('Add', [attended, dense(graph, gelu, intermediate, hidden, quantized)]));
}

/** The serialized model: about 90 MB in float, 23 MB quantized (like the real exports). */
export function buildMiniLmShapedOnnx(quantized: boolean): Uint8Array {
  const { hidden, vocab, positions, layers } = MINILM_SHAPE;
  const graph = new GraphBuilder();
  const sequence = graph.one('Gather', [graph.one('Shape', ['input_ids']), graph.constant(INT64, [], BigInt64Array.from([1n]))]);
  const positionIds = graph.one('Range', [graph.constant(INT64, [], BigInt64Array.from([0n])), sequence, graph.constant(INT64, [], BigInt64Array.from([1n]))]);
  const embedded = graph.one('Add', [
    graph.one('Add', [graph.one('Gather', [graph.floats([vocab, hidden]), 'input_ids']), graph.one('Gather', [graph.floats([2, hidden]), 'token_type_ids'])]),
    graph.one('Gather', [graph.floats([positions, hidden]), positionIds]),
  ]);
  const maskFloat = graph.one('Cast', ['attention_mask'], [intAttribute('to', FLOAT)]);
  const maskBias = graph.one('Mul', [
    graph.one('Sub', [graph.scalarFloat(1), graph.one('Unsqueeze', [maskFloat, graph.int64s([1, 2])])]),
    graph.scalarFloat(MASKED_SCORE),
  ]);
  let x = layerNorm(graph, embedded);
  for (let layer = 0; layer < layers; layer++) x = encoderLayer(graph, x, maskBias, quantized);
  graph.nodes.push({ opType: 'Identity', input: [x], output: ['last_hidden_state'] });

  const io = (name: string, elemType: number, dims: (string | number)[]): OnnxTypes.IValueInfoProto => ({
    name,
    type: { tensorType: { elemType, shape: { dim: dims.map((dim) => (typeof dim === 'string' ? { dimParam: dim } : { dimValue: dim })) } } },
  });
  const model = onnx.ModelProto.create({
    irVersion: 8,
    opsetImport: [{ domain: '', version: 17 }],
    producerName: 'embed-front-door bench',
    graph: {
      name: 'minilm-shaped',
      input: ['input_ids', 'attention_mask', 'token_type_ids'].map((name) => io(name, INT64, ['batch', 'sequence'])),
      output: [io('last_hidden_state', FLOAT, ['batch', 'sequence', hidden])],
      initializer: graph.initializers,
      node: graph.nodes,
    },
  });
  return onnx.ModelProto.encode(model).finish();
}
