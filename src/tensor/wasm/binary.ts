/**
 * A small WebAssembly binary writer: just enough of the format to emit purenn's
 * kernels from TypeScript, with no compiler and no .wasm file (wasm/module.ts
 * keeps the bytes it writes for the default module in module-bytes.ts).
 *
 * A module is bytes: the magic "\0asm", the version 1, then numbered sections,
 * each `id, size in bytes, contents`. purenn writes five of them, in this order:
 *
 *   1  type      the function signatures:   0x60, params, results
 *   2  import    the memory, "env" "memory": its limits (min pages, max pages,
 *                and a `shared` flag for a SharedArrayBuffer-backed memory)
 *   3  function  one type index per function defined here
 *   7  export    name → function index, for the functions JavaScript calls
 *  10  code      per function: its extra locals, then its instructions, `end`
 *
 * Integers are LEB128: 7 bits a byte, low bits first, the high bit set on every
 * byte but the last. Unsigned: 128 → 0x80 0x01. Signed values sign-extend from
 * the last byte's bit 6: −1 → 0x7f, 64 → 0xc0 0x00, −65 → 0xbf 0x7f.
 *
 * Code is a stack machine: `local.get x; local.get y; i32.add; local.set z` is
 * z = x + y. Control flow is structured: `block … end` and `loop … end` open a
 * label; `br n` jumps to the n-th enclosing label — to the end of a block
 * (break) or to the start of a loop (continue). Here a label is an object and
 * the writer counts n for you. purenn's blocks take and leave no values (block
 * type 0x40): an `if` cannot consume values pushed before it, so each branch
 * pushes its own operands. Memory instructions carry a `memarg`: an
 * alignment hint (log2 of bytes) and a constant byte offset added to the
 * address on the stack. SIMD instructions (v128: 16 bytes, read as four f32
 * lanes, or two f64 or two i64) are 0xfd and a LEB128 sub-opcode.
 * Spec: https://webassembly.github.io/spec/core/binary/
 *
 * Every method appends one instruction and returns `this`, so a line of
 * emitting code reads like the assembly it writes:
 *   f.get(x).get(y).i32Add().set(z)
 */

export type ValType = "i32" | "i64" | "f32" | "f64" | "v128";
const VALTYPE: Record<ValType, number> = { i32: 0x7f, i64: 0x7e, f32: 0x7d, f64: 0x7c, v128: 0x7b };

/** Unsigned LEB128 of a non-negative integer below 2^32. */
export function unsignedLEB128(value: number): number[] {
  const out: number[] = [];
  let v = value >>> 0;
  do {
    const byte = v & 0x7f;
    v >>>= 7;
    out.push(v === 0 ? byte : byte | 0x80);
  } while (v !== 0);
  return out;
}

/** Signed LEB128 of an integer in [−2^31, 2^31). */
export function signedLEB128(value: number): number[] {
  const out: number[] = [];
  let v = value | 0;
  for (;;) {
    const byte = v & 0x7f;
    v >>= 7; // arithmetic shift keeps the sign
    const done = (v === 0 && (byte & 0x40) === 0) || (v === -1 && (byte & 0x40) !== 0);
    out.push(done ? byte : byte | 0x80);
    if (done) return out;
  }
}

/** A name as a vector of bytes (purenn's names are ASCII). */
function name(s: string): number[] {
  return [...unsignedLEB128(s.length), ...Array.from(s, (ch) => ch.charCodeAt(0))];
}

/** A vector: its length, then its items. */
function vec(items: number[][]): number[] {
  return [...unsignedLEB128(items.length), ...items.flat()];
}

/** A block or loop's target for br / br_if. */
export interface Label {
  readonly level: number;
}

/** The code of one function: locals and instructions. Parameters are locals 0..params-1. */
export class FunctionWriter {
  readonly code: number[] = [];
  private readonly localTypes: ValType[] = [];
  private nesting = 0;

  constructor(readonly index: number, readonly params: ValType[], readonly results: ValType[]) {}

  /** A new local of this type (zero-initialized on every call); returns its index. */
  local(type: ValType): number {
    this.localTypes.push(type);
    return this.params.length + this.localTypes.length - 1;
  }

  private op(...bytes: number[]): this {
    for (const b of bytes) this.code.push(b);
    return this;
  }

  // Locals and constants.
  get(local: number): this { return this.op(0x20, ...unsignedLEB128(local)); }
  set(local: number): this { return this.op(0x21, ...unsignedLEB128(local)); }
  tee(local: number): this { return this.op(0x22, ...unsignedLEB128(local)); }
  i32(value: number): this { return this.op(0x41, ...signedLEB128(value)); }
  f32(value: number): this {
    const bytes = new Uint8Array(new Float32Array([value]).buffer); // IEEE 754, little-endian
    return this.op(0x43, ...bytes);
  }
  f64(value: number): this { return this.op(0x44, ...new Uint8Array(new Float64Array([value]).buffer)); }
  /** i64.const of a value in the i32 range (its signed LEB128 is the same). */
  i64(value: number): this { return this.op(0x42, ...signedLEB128(value)); }

  // Structured control. The body receives its own label.
  block(body: (end: Label) => void): this { return this.structured(0x02, body); }
  loop(body: (top: Label) => void): this { return this.structured(0x03, body); }
  /** if (popped i32 ≠ 0) then … [else …] end */
  ifElse(then: () => void, otherwise?: () => void): this {
    this.op(0x04, 0x40);
    this.nesting++;
    then();
    if (otherwise) {
      this.op(0x05);
      otherwise();
    }
    this.nesting--;
    return this.op(0x0b);
  }
  br(label: Label): this { return this.op(0x0c, ...unsignedLEB128(this.depth(label))); }
  brIf(label: Label): this { return this.op(0x0d, ...unsignedLEB128(this.depth(label))); }
  call(fn: FunctionWriter): this { return this.op(0x10, ...unsignedLEB128(fn.index)); }
  /** memory.fill (bulk memory): [address, byte value, count] → the count bytes from address set to the value */
  memoryFill(): this { return this.op(0xfc, ...unsignedLEB128(0x0b), 0x00); }
  /** Pops c, then b, then a: pushes c ≠ 0 ? a : b. */
  select(): this { return this.op(0x1b); }

  /**
   * for (i = from; i < to; i += step) body  — a common shape, written once:
   *   from; local.set i; block $end  loop $top  (i >= to → br $end)  body  i += step  br $top  end end
   * `from` and `to` push an i32 (`to` is evaluated on every iteration); `step` is a
   * constant or a local.
   */
  forLoop(i: number, from: () => void, to: () => void, step: number | { local: number }, body: () => void): this {
    from();
    this.set(i);
    return this.block((end) => {
      this.loop((top) => {
        this.get(i);
        to();
        this.i32GeS().brIf(end);
        body();
        this.get(i);
        if (typeof step === "number") this.i32(step);
        else this.get(step.local);
        this.i32Add().set(i).br(top);
      });
    });
  }

  private structured(opcode: number, body: (label: Label) => void): this {
    this.op(opcode, 0x40); // 0x40: the block yields no value
    const label = { level: ++this.nesting };
    body(label);
    this.nesting--;
    return this.op(0x0b);
  }
  private depth(label: Label): number {
    return this.nesting - label.level;
  }

  // i32 arithmetic and comparisons (comparisons push 1 or 0).
  i32Add(): this { return this.op(0x6a); }
  i32Sub(): this { return this.op(0x6b); }
  i32Mul(): this { return this.op(0x6c); }
  i32DivU(): this { return this.op(0x6e); }
  i32And(): this { return this.op(0x71); }
  i32Or(): this { return this.op(0x72); }
  i32Xor(): this { return this.op(0x73); }
  i32Shl(): this { return this.op(0x74); }
  /** Rotates left by the popped count (mod 32). */
  i32Rotl(): this { return this.op(0x77); }
  i32Eqz(): this { return this.op(0x45); }
  i32Eq(): this { return this.op(0x46); }
  i32Ne(): this { return this.op(0x47); }
  i32LtS(): this { return this.op(0x48); }
  i32GtS(): this { return this.op(0x4a); }
  i32LeS(): this { return this.op(0x4c); }
  i32GeS(): this { return this.op(0x4e); }
  i32GeU(): this { return this.op(0x4f); }

  // Scalar memory and f32 arithmetic. `offset` is the memarg's constant byte offset.
  i32Load(offset = 0): this { return this.op(0x28, 2, ...unsignedLEB128(offset)); }
  i64Load(offset = 0): this { return this.op(0x29, 3, ...unsignedLEB128(offset)); }
  f32Load(offset = 0): this { return this.op(0x2a, 2, ...unsignedLEB128(offset)); }
  i32Store(offset = 0): this { return this.op(0x36, 2, ...unsignedLEB128(offset)); }
  i64Store(offset = 0): this { return this.op(0x37, 3, ...unsignedLEB128(offset)); }
  f32Store(offset = 0): this { return this.op(0x38, 2, ...unsignedLEB128(offset)); }
  f32Add(): this { return this.op(0x92); }
  f32Sub(): this { return this.op(0x93); }
  f32Mul(): this { return this.op(0x94); }
  f32Eq(): this { return this.op(0x5b); }
  f32Gt(): this { return this.op(0x5e); }

  // f64 arithmetic, and the conversions between f32 and f64 (exact one way, rounded to nearest the other).
  f64Add(): this { return this.op(0xa0); }
  f64Sub(): this { return this.op(0xa1); }
  f64Mul(): this { return this.op(0xa2); }
  f64Div(): this { return this.op(0xa3); }
  f64Lt(): this { return this.op(0x63); }
  f64Neg(): this { return this.op(0x9a); }
  f32DemoteF64(): this { return this.op(0xb6); }
  f64PromoteF32(): this { return this.op(0xbb); }
  /** The popped i32 read as unsigned, to float64 (exact). */
  f64ConvertI32U(): this { return this.op(0xb8); }
  /** The popped float64 truncated toward 0 to an unsigned i32 (traps outside [0, 2³²)). */
  i32TruncF64U(): this { return this.op(0xab); }

  // i64, and the reinterpretations that read a float's bits as an integer and back (no conversion).
  i64Add(): this { return this.op(0x7c); }
  i64Shl(): this { return this.op(0x86); }
  i64ReinterpretF64(): this { return this.op(0xbd); }
  f64ReinterpretI64(): this { return this.op(0xbf); }

  // SIMD (prefix 0xfd). v128 memory accesses say 16-byte alignment; it is only a hint.
  private simd(sub: number, ...rest: number[]): this { return this.op(0xfd, ...unsignedLEB128(sub), ...rest); }
  v128Load(offset = 0): this { return this.simd(0x00, 4, ...unsignedLEB128(offset)); }
  /** Loads one f32 and copies it into all four lanes. */
  v128Load32Splat(offset = 0): this { return this.simd(0x09, 2, ...unsignedLEB128(offset)); }
  v128Store(offset = 0): this { return this.simd(0x0b, 4, ...unsignedLEB128(offset)); }
  /** v128.const: the 16 bytes, lowest first. */
  v128Const(bytes: ArrayLike<number>): this { return this.simd(0x0c, ...Array.from(bytes)); }
  /** The v128 whose 16 bytes are all zero (four f32 lanes of +0). */
  v128Zero(): this { return this.v128Const(new Uint8Array(16)); }
  /** The v128 with `value` in both f64 lanes. */
  f64x2Const(value: number): this { return this.v128Const(new Uint8Array(new Float64Array([value, value]).buffer)); }
  /** Picks 16 bytes out of two popped v128 (bytes 0-15 from the first, 16-31 from the second). */
  i8x16Shuffle(lanes: number[]): this { return this.simd(0x0d, ...lanes); }
  f32x4Splat(): this { return this.simd(0x13); }
  /** Lane `lane` of an f32x4, as an f32. */
  f32x4ExtractLane(lane: number): this { return this.simd(0x1f, lane); }
  i32x4Splat(): this { return this.simd(0x11); }
  i32x4Add(): this { return this.simd(0xae); }
  i32x4GeU(): this { return this.simd(0x40); }
  /** Pops a, b, mask: (a & mask) | (b & ~mask), bit by bit. */
  v128Bitselect(): this { return this.simd(0x52); }
  f64x2Splat(): this { return this.simd(0x14); }
  /** Lanes 0 and 1 of an f32x4 as an f64x2 (exact). */
  f64x2PromoteLowF32x4(): this { return this.simd(0x5f); }
  /** An f64x2 rounded to f32 in lanes 0 and 1; lanes 2 and 3 become +0. */
  f32x4DemoteF64x2Zero(): this { return this.simd(0x5e); }
  f64x2Add(): this { return this.simd(0xf0); }
  f64x2Sub(): this { return this.simd(0xf1); }
  f64x2Mul(): this { return this.simd(0xf2); }
  f64x2Div(): this { return this.simd(0xf3); }
  f64x2Neg(): this { return this.simd(0xed); }
  /** pmin(a, b) = b < a ? b : a and pmax(a, b) = a < b ? b : a, lane-wise: with a NaN the comparison fails, giving a. */
  f64x2Pmin(): this { return this.simd(0xf6); }
  f64x2Pmax(): this { return this.simd(0xf7); }
  /** Shifts each 64-bit lane left by a popped i32 (mod 64). */
  i64x2Shl(): this { return this.simd(0xcb); }
  i64x2Add(): this { return this.simd(0xce); }
  v128And(): this { return this.simd(0x4e); }
  v128Or(): this { return this.simd(0x50); }
  /** Lane-wise a > b: all ones where true, else all zeros (a mask for v128.and). */
  f32x4Gt(): this { return this.simd(0x44); }
  /** 1 when any bit of the popped v128 is set, else 0 (an i32). */
  v128AnyTrue(): this { return this.simd(0x53); }
  f32x4Add(): this { return this.simd(0xe4); }
  f32x4Sub(): this { return this.simd(0xe5); }
  f32x4Mul(): this { return this.simd(0xe6); }
  /** Relaxed SIMD: pops a, b, c and pushes a·b + c, fused (one rounding) or not, as the machine does it. */
  f32x4RelaxedMadd(): this { return this.simd(0x105); }
  /** pmax(a, b) = a < b ? b : a, lane-wise: pmax(0, x) is `x > 0 ? x : 0`, NaN giving 0. */
  f32x4Pmax(): this { return this.simd(0xeb); }

  /** The function's entry in the code section: size, locals (grouped by type), code, `end`. */
  encode(): number[] {
    const groups: number[][] = [];
    for (let i = 0; i < this.localTypes.length; ) {
      let j = i;
      while (j < this.localTypes.length && this.localTypes[j] === this.localTypes[i]) j++;
      groups.push([...unsignedLEB128(j - i), VALTYPE[this.localTypes[i]]]);
      i = j;
    }
    const body = [...vec(groups), ...this.code, 0x0b];
    return [...unsignedLEB128(body.length), ...body];
  }
}

export interface MemoryImport {
  /** Pages (64 KiB) the memory must have at least. */
  minimum: number;
  /** Pages it may grow to; required for a shared memory. */
  maximum?: number;
  shared: boolean;
}

/** A module: one imported memory, functions, exports. */
export class ModuleWriter {
  private readonly functions: FunctionWriter[] = [];
  private readonly exports: [string, FunctionWriter][] = [];

  constructor(private readonly memory: MemoryImport) {}

  /** A new function; exported under `exportName` when given. */
  func(params: ValType[], results: ValType[], exportName?: string): FunctionWriter {
    const f = new FunctionWriter(this.functions.length, params, results);
    this.functions.push(f);
    if (exportName !== undefined) this.exports.push([exportName, f]);
    return f;
  }

  encode(): Uint8Array {
    const { minimum, maximum, shared } = this.memory;
    // limits: 0x00 min | 0x01 min max | 0x03 min max, shared (the threads proposal)
    const limits = maximum === undefined
      ? [0x00, ...unsignedLEB128(minimum)]
      : [shared ? 0x03 : 0x01, ...unsignedLEB128(minimum), ...unsignedLEB128(maximum)];
    const types = this.functions.map((f) => [0x60, ...vec(f.params.map((t) => [VALTYPE[t]])), ...vec(f.results.map((t) => [VALTYPE[t]]))]);
    const section = (id: number, contents: number[]) => [id, ...unsignedLEB128(contents.length), ...contents];
    return new Uint8Array([
      0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, // "\0asm", version 1
      ...section(1, vec(types)), // one type per function, for simplicity
      ...section(2, vec([[...name("env"), ...name("memory"), 0x02, ...limits]])), // 0x02: a memory import
      ...section(3, vec(this.functions.map((f) => unsignedLEB128(f.index)))), // function i has type i
      ...section(7, vec(this.exports.map(([n, f]) => [...name(n), 0x00, ...unsignedLEB128(f.index)]))), // 0x00: a function
      ...section(10, vec(this.functions.map((f) => f.encode()))),
    ]);
  }
}
