// A minimal reader of the protocol buffers wire format
// (protobuf.dev/programming-guides/encoding): a message is a sequence of
// fields, each a varint key (field number << 3 | wire type) and a value:
// varint (0), 64-bit (1), length-delimited (2) or 32-bit (5). Enough for the
// SentencePiece ModelProto. Every length and varint is checked against the
// bytes left, so a truncated or hostile file gives a ModelFormatError naming
// the file and the field path, and nothing is allocated from a length the
// file claims: length-delimited values are views of the input.
import { ModelFormatError } from "../errors.js";

export const WIRE_VARINT = 0;
export const WIRE_FIXED64 = 1;
export const WIRE_BYTES = 2;
export const WIRE_FIXED32 = 5;

const WIRE_NAMES: Record<number, string> = { 0: "varint", 1: "64-bit", 2: "length-delimited", 3: "group start", 4: "group end", 5: "32-bit" };

/** One field of a message: its number, wire type and where its value is. */
export class ProtoField {
  constructor(
    readonly number: number,
    readonly wireType: number,
    /** The low and high 32 bits of a varint value (wire type 0). */
    private readonly lo: number,
    private readonly hi: number,
    /** The value's bytes (length-delimited, 32-bit and 64-bit values). */
    private readonly data: Uint8Array,
    /** The field path for messages, e.g. "pieces[3].score". */
    readonly path: string,
    private readonly file: string,
  ) {}

  private expect(wireType: number, what: string): void {
    if (this.wireType !== wireType) {
      throw new ModelFormatError(this.file, `${this.path}: expected ${what} (wire type ${wireType}, ${WIRE_NAMES[wireType]}), got wire type ${this.wireType} (${WIRE_NAMES[this.wireType] ?? "unknown"})`);
    }
  }

  /** An int32 or enum: the low 32 bits of the varint, signed (negative values are sign-extended to 10 bytes). */
  int32(): number {
    this.expect(WIRE_VARINT, "an int32");
    return this.lo | 0;
  }

  bool(): boolean {
    this.expect(WIRE_VARINT, "a bool");
    return this.lo !== 0 || this.hi !== 0;
  }

  float(): number {
    this.expect(WIRE_FIXED32, "a float");
    return new DataView(this.data.buffer, this.data.byteOffset, 4).getFloat32(0, true);
  }

  bytes(): Uint8Array {
    this.expect(WIRE_BYTES, "bytes");
    return this.data;
  }

  /** A string field; invalid UTF-8 is an error. */
  string(): string {
    this.expect(WIRE_BYTES, "a string");
    try {
      return strictUtf8.decode(this.data);
    } catch {
      throw new ModelFormatError(this.file, `${this.path}: not valid UTF-8`);
    }
  }

  /** The fields of an embedded message; `names` maps its field numbers to names for messages. */
  message(names: Record<number, string> = {}): ProtoField[] {
    this.expect(WIRE_BYTES, "a message");
    return readFields(this.data, this.file, this.path, names);
  }
}

const strictUtf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/**
 * Splits a message into its fields, in file order. `path` names the message
 * in errors and each field is named `${path}.${names[number]}` (the field
 * number when `names` does not list it).
 */
export function readFields(bytes: Uint8Array, file: string, path: string, names: Record<number, string> = {}): ProtoField[] {
  const fields: ProtoField[] = [];
  let at = 0;
  const where = (): string => `${path === "" ? "" : `${path}: `}byte ${at} of ${bytes.length}`;
  /** Reads a varint at `at`; returns [lo, hi] 32-bit halves. */
  const varint = (what: string): [number, number] => {
    let lo = 0;
    let hi = 0;
    for (let i = 0; i < 10; i++) {
      if (at >= bytes.length) throw new ModelFormatError(file, `${where()}: truncated varint (${what})`);
      const b = bytes[at++]!;
      const low7 = b & 0x7f;
      if (i < 4) lo |= low7 << (7 * i);
      else if (i === 4) {
        lo |= (low7 & 0x0f) << 28;
        hi = low7 >> 4;
      } else hi |= low7 << (7 * i - 32);
      if ((b & 0x80) === 0) return [lo >>> 0, hi >>> 0];
    }
    throw new ModelFormatError(file, `${where()}: varint longer than 10 bytes (${what})`);
  };
  while (at < bytes.length) {
    const [key, keyHigh] = varint("field key");
    const number = key >>> 3;
    const wireType = key & 7;
    if (number === 0 || keyHigh !== 0 || number > 0x1fffffff) throw new ModelFormatError(file, `${where()}: invalid field number in key ${key}`);
    const name = names[number] ?? String(number);
    const fieldPath = path === "" ? name : `${path}.${name}`;
    let lo = 0;
    let hi = 0;
    let data = bytes.subarray(at, at);
    switch (wireType) {
      case WIRE_VARINT:
        [lo, hi] = varint(fieldPath);
        break;
      case WIRE_FIXED64:
      case WIRE_FIXED32: {
        const size = wireType === WIRE_FIXED64 ? 8 : 4;
        if (at + size > bytes.length) throw new ModelFormatError(file, `${fieldPath}: truncated ${size * 8}-bit value at byte ${at} (${bytes.length - at} bytes left)`);
        data = bytes.subarray(at, at + size);
        at += size;
        break;
      }
      case WIRE_BYTES: {
        const [length, lengthHigh] = varint(`${fieldPath} length`);
        if (lengthHigh !== 0 || length > bytes.length - at) {
          throw new ModelFormatError(file, `${fieldPath}: length ${lengthHigh !== 0 ? "≥ 2^32" : length} at byte ${at} runs past the end (${bytes.length - at} bytes left)`);
        }
        data = bytes.subarray(at, at + length);
        at += length;
        break;
      }
      default:
        throw new ModelFormatError(file, `${fieldPath}: unsupported wire type ${wireType} (${WIRE_NAMES[wireType] ?? "unknown"}) at byte ${at}`);
    }
    fields.push(new ProtoField(number, wireType, lo, hi, data, fieldPath, file));
  }
  return fields;
}
