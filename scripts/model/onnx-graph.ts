/**
 * A small ONNX graph builder on top of `onnx-proto` (ONNX IR 8, opset 17), enough to write the
 * Qwen-VL-shaped sessions of our generated models. Every tensor name is unique and derived from a
 * counter, so the same construction always serialises to the same bytes.
 */
import onnxProto from 'onnx-proto';

const { onnx } = onnxProto;

export const OPSET = 17;
const IR_VERSION = 8;

/** ONNX element types we use. */
export const DType = {
  float: onnx.TensorProto.DataType.FLOAT,
  int64: onnx.TensorProto.DataType.INT64,
  bool: onnx.TensorProto.DataType.BOOL,
} as const;
export type DTypeCode = (typeof DType)[keyof typeof DType];

/** A dimension: a fixed size or a symbolic name (`batch_size`, `sequence_length`, ...). */
export type Dim = number | string;

type AttributeValue = number | number[] | string | { int: number } | { ints: number[] };

/** A value in the graph: a name to wire into further nodes. */
export type Value = string;

export class GraphBuilder {
  private readonly nodes: onnxProto.onnx.INodeProto[] = [];
  private readonly initializers: onnxProto.onnx.ITensorProto[] = [];
  private readonly inputs: onnxProto.onnx.IValueInfoProto[] = [];
  private readonly outputs: onnxProto.onnx.IValueInfoProto[] = [];
  private counter = 0;

  constructor(private readonly name: string) {}

  private fresh(prefix: string): string {
    this.counter += 1;
    return `${prefix}_${this.counter}`;
  }

  /** Declares a graph input. */
  input(name: string, type: DTypeCode, shape: Dim[]): Value {
    this.inputs.push(valueInfo(name, type, shape));
    return name;
  }

  /** Declares a graph output produced by `value` (an Identity node gives it its public name). */
  output(name: string, value: Value, type: DTypeCode, shape: Dim[]): void {
    this.nodes.push({ opType: 'Identity', input: [value], output: [name], name: this.fresh('out') });
    this.outputs.push(valueInfo(name, type, shape));
  }

  /** A float constant (initializer) of the given shape, row-major data. */
  floats(data: ArrayLike<number>, shape: number[], prefix = 'w'): Value {
    const name = this.fresh(prefix);
    const expected = shape.reduce((a, b) => a * b, 1);
    if (data.length !== expected) throw new Error(`${name}: ${data.length} values for shape [${shape.join(',')}]`);
    const raw = new Uint8Array(Float32Array.from(data).buffer);
    this.initializers.push({ name, dims: shape, dataType: DType.float, rawData: raw });
    return name;
  }

  /** An int64 constant (initializer). */
  ints(data: number[], shape: number[] = [data.length], prefix = 'i'): Value {
    const name = this.fresh(prefix);
    const raw = new Uint8Array(BigInt64Array.from(data.map((x) => BigInt(x))).buffer);
    this.initializers.push({ name, dims: shape, dataType: DType.int64, rawData: raw });
    return name;
  }

  /** A scalar float constant. */
  scalar(value: number): Value {
    return this.floats([value], [], 'c');
  }

  /** Adds one node and returns its (first) output. */
  op(opType: string, inputs: Value[], attributes: Record<string, AttributeValue> = {}): Value {
    return this.opMulti(opType, inputs, 1, attributes)[0] as Value;
  }

  /** Adds one node with several outputs. */
  opMulti(
    opType: string,
    inputs: Value[],
    outputCount: number,
    attributes: Record<string, AttributeValue> = {},
  ): Value[] {
    const outputs = Array.from({ length: outputCount }, () => this.fresh(opType.toLowerCase()));
    this.nodes.push({
      opType,
      input: inputs,
      output: outputs,
      name: this.fresh(`n_${opType}`),
      attribute: Object.entries(attributes).map(([key, value]) => attribute(key, value)),
    });
    return outputs;
  }

  /** Serialises the graph as a complete ONNX model. */
  toBytes(): Uint8Array {
    const model = onnx.ModelProto.create({
      irVersion: IR_VERSION,
      producerName: 'visionthink-web',
      opsetImport: [{ domain: '', version: OPSET }],
      graph: {
        name: this.name,
        node: this.nodes,
        initializer: this.initializers,
        input: this.inputs,
        output: this.outputs,
      },
    });
    return onnx.ModelProto.encode(model).finish();
  }
}

function valueInfo(name: string, type: DTypeCode, shape: Dim[]): onnxProto.onnx.IValueInfoProto {
  return {
    name,
    type: {
      tensorType: {
        elemType: type,
        shape: { dim: shape.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) },
      },
    },
  };
}

function attribute(name: string, value: AttributeValue): onnxProto.onnx.IAttributeProto {
  const T = onnx.AttributeProto.AttributeType;
  if (typeof value === 'string') return { name, type: T.STRING, s: new TextEncoder().encode(value) };
  if (typeof value === 'number') return { name, type: T.FLOAT, f: value };
  if (Array.isArray(value)) return { name, type: T.FLOATS, floats: value };
  if ('int' in value) return { name, type: T.INT, i: value.int };
  return { name, type: T.INTS, ints: value.ints };
}
