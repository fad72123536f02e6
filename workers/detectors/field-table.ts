// A stream's table of fields outside its templates (logs.ts): the event metadata's fields and the
// keys pooled over the stream's templates, bounded in count and in bytes (budget.ts, TEXT_BUDGET).
//
//   name ─► kept already? ─yes─► its field
//        │ no
//        └─► a new field while the table has fewer than maxFields, the name's JSON is at most
//            MAX_NAME_BYTES and its bytes fit under maxBytes; otherwise the name is left out
//            (as a field past maxFields always was: it stays out)
//   value ─► observeValue (fields.ts), the bytes the field grows by counted (grownBytes)
//        ─► the table over maxBytes: that field is left high-cardinality, as past maxValues, and
//           its numeric histories dropped: its values and contexts no longer kept or judged
//
// The bytes are a function of the table alone (fieldBytes), never of how the stream was split
// into tasks; a table loaded over its bounds (saved before them) drops its last fields.
import { FIELD_BYTES, jsonBytes } from './budget.js';
import { fieldBytes, forgetValues, freshField, grownBytes, observeValue, type FieldStats, type LineContexts, type ValueFinding } from './fields.js';

/** The longest name kept, in JSON bytes (a key of a template's token: 64 characters of 3 bytes, and quotes). */
export const MAX_NAME_BYTES = 194;

export class FieldTable {
  #rec: Record<string, FieldStats> | undefined;
  readonly #create: () => Record<string, FieldStats>;
  readonly #maxFields: number;
  readonly #maxBytes: number;
  #count = 0;
  #bytes = 0;

  /** `rec`: the state's table (undefined until its first field, made by `create`). */
  constructor(rec: Record<string, FieldStats> | undefined, create: () => Record<string, FieldStats>, maxFields: number, maxBytes: number) {
    this.#rec = rec;
    this.#create = create;
    this.#maxFields = maxFields;
    this.#maxBytes = maxBytes;
    if (rec === undefined) return;
    const names: string[] = [];
    for (const name of Object.keys(rec)) {
      if (jsonBytes(name) > MAX_NAME_BYTES) delete rec[name];
      else names.push(name);
    }
    for (const name of names) this.#bytes += fieldBytes(rec[name], name);
    this.#count = names.length;
    while (this.#count > maxFields || this.#bytes > maxBytes) {
      const name = names[--this.#count];
      this.#bytes -= fieldBytes(rec[name], name);
      delete rec[name];
    }
  }

  /** Bytes of the table as counted (fieldBytes summed). */
  get bytes(): number {
    return this.#bytes;
  }

  /** The field of `name`, made when there is room; undefined when the name is left out. */
  field(name: string): FieldStats | undefined {
    const rec = this.#rec;
    if (rec !== undefined && Object.hasOwn(rec, name)) return rec[name];
    if (this.#count >= this.#maxFields || name === '__proto__') return undefined;
    const b = jsonBytes(name);
    if (b > MAX_NAME_BYTES || this.#bytes + FIELD_BYTES + b > this.#maxBytes) return undefined;
    const f = freshField();
    (this.#rec ??= this.#create())[name] = f;
    this.#count++;
    this.#bytes += FIELD_BYTES + b;
    return f;
  }

  /**
   * observeValue on the table's field `name` (f), its growth counted; a field that takes the table
   * over its bytes is left high-cardinality. `views`, `cx`, `self`: as observeValue's.
   */
  observe(f: FieldStats, name: string, value: string, ctx: string, numbers: boolean, meta = false, views?: readonly string[], cx?: LineContexts, self = -1): ValueFinding | null {
    const g0 = grownBytes();
    const r = observeValue(f, value, ctx, numbers, meta, views, cx, self);
    this.#bytes += grownBytes() - g0;
    if (this.#bytes > this.#maxBytes) {
      const before = fieldBytes(f, name);
      forgetValues(f);
      f.c = {};
      f.nc = 0;
      delete f.g;
      delete f.ng;
      // Nor its range (fields.ts forgetValues starts one): the table must end under its bytes.
      delete f.h;
      this.#bytes -= before - fieldBytes(f, name);
    }
    return r;
  }
}
