// A mergeable quantile sketch with a bounded relative error (DDSketch,
// Masson et al., VLDB 2019). Values fall into logarithmic buckets
// [gamma^(i-1), gamma^i) with gamma = (1 + a) / (1 - a); answering with the
// bucket's midpoint 2 gamma^i / (gamma + 1) is within relative error `a` of
// every value in it. Merging adds bucket counts, so per-proxy sketches can be
// summed by the agent and the manager with the same guarantee.
//
// Pure and allocation-light: observing a value is one log and one array write.

/** Default relative accuracy: every quantile is within 1 % of the true value. */
export const DEFAULT_RELATIVE_ACCURACY = 0.01;
/** Default bucket cap; at 1 % it covers about 9 decades (1 us to 1000 s) before collapsing. */
export const DEFAULT_MAX_BUCKETS = 2048;
/** Values at or below this count as zero (they have no meaningful log). */
const MIN_INDEXABLE = 1e-9;

/** The wire form of a sketch, as the agent ships it. */
export interface LatencySketchData {
  relativeAccuracy: number;
  /** Index of the first entry of `counts`. */
  offset: number;
  counts: number[];
  zeroCount: number;
  count: number;
  sum: number;
  min: number;
  max: number;
}

/** Error thrown when two sketches with different accuracies are merged. */
export class SketchMismatchError extends Error {
  readonly code = "SKETCH_MISMATCH";
  constructor(message: string) {
    super(message);
    this.name = "SketchMismatchError";
  }
}

/** A DDSketch over positive values (latencies); negative values count as zero. */
export class LatencySketch {
  readonly relativeAccuracy: number;
  private readonly gamma: number;
  private readonly logGamma: number;
  private readonly maxBuckets: number;
  private counts: Float64Array = new Float64Array(0);
  private offset = 0;
  zeroCount = 0;
  count = 0;
  sum = 0;
  min = Infinity;
  max = -Infinity;

  constructor(relativeAccuracy = DEFAULT_RELATIVE_ACCURACY, maxBuckets = DEFAULT_MAX_BUCKETS) {
    if (!(relativeAccuracy > 0 && relativeAccuracy < 1)) throw new RangeError("relativeAccuracy must be in (0, 1)");
    this.relativeAccuracy = relativeAccuracy;
    this.gamma = (1 + relativeAccuracy) / (1 - relativeAccuracy);
    this.logGamma = Math.log(this.gamma);
    this.maxBuckets = Math.max(16, maxBuckets);
  }

  /** The bucket index of a positive value. */
  index(value: number): number {
    return Math.ceil(Math.log(value) / this.logGamma);
  }

  /** The representative value of bucket `i` (within the relative accuracy of all its values). */
  bucketValue(i: number): number {
    return (2 * Math.pow(this.gamma, i)) / (this.gamma + 1);
  }

  /** Adds `value` (`weight` times). */
  add(value: number, weight = 1): void {
    this.count += weight;
    this.sum += value * weight;
    if (value < this.min) this.min = value;
    if (value > this.max) this.max = value;
    if (value <= MIN_INDEXABLE) {
      this.zeroCount += weight;
      return;
    }
    this.addToBucket(this.index(value), weight);
  }

  private addToBucket(i: number, weight: number): void {
    const len = this.counts.length;
    if (len === 0) {
      this.counts = new Float64Array(32);
      this.offset = i - 16;
    } else if (i >= this.offset + len || (i < this.offset && len < this.maxBuckets)) {
      this.grow(i);
    }
    // Below a full window (lowest buckets collapsed): count in its lowest bucket.
    const at = Math.max(0, i - this.offset);
    this.counts[at] = (this.counts[at] ?? 0) + weight;
  }

  /** Makes room for index `i`; over the cap, the lowest buckets collapse (low latencies lose accuracy first). */
  private grow(i: number): void {
    const lo = Math.min(this.offset, i);
    const hi = Math.max(this.offset + this.counts.length - 1, i);
    const newLo = Math.max(lo, hi - this.maxBuckets + 1);
    const needed = hi - newLo + 1;
    const size = Math.min(this.maxBuckets, Math.max(needed, this.counts.length * 2));
    const start = Math.max(hi - size + 1, newLo - Math.floor((size - needed) / 2));
    const next = new Float64Array(size);
    for (let k = 0; k < this.counts.length; k++) {
      const c = this.counts[k] ?? 0;
      if (c === 0) continue;
      const idx = Math.max(start, this.offset + k) - start;
      next[idx] = (next[idx] ?? 0) + c;
    }
    this.counts = next;
    this.offset = start;
  }

  /**
   * The q-quantile (0 <= q <= 1) with rank floor(q (n - 1)): within the
   * relative accuracy of the exact value of that rank. NaN when empty.
   */
  quantile(q: number): number {
    if (this.count === 0) return NaN;
    const rank = Math.floor(Math.min(1, Math.max(0, q)) * (this.count - 1));
    // The extremes are known exactly.
    if (rank === 0) return this.min;
    if (rank >= this.count - 1) return this.max;
    if (rank < this.zeroCount) return this.min > 0 ? this.min : 0;
    let seen = this.zeroCount;
    for (let k = 0; k < this.counts.length; k++) {
      seen += this.counts[k] ?? 0;
      if (seen > rank) return Math.min(this.max, Math.max(this.min, this.bucketValue(this.offset + k)));
    }
    return this.max;
  }

  /** Adds every value of `other` to this sketch. */
  merge(other: LatencySketch | LatencySketchData): void {
    if (other.relativeAccuracy !== this.relativeAccuracy) {
      throw new SketchMismatchError(`cannot merge sketches of relative accuracy ${other.relativeAccuracy} and ${this.relativeAccuracy}`);
    }
    const data = other instanceof LatencySketch ? other.toJSON() : other;
    data.counts.forEach((c, k) => {
      if (c > 0) this.addToBucket(data.offset + k, c);
    });
    this.zeroCount += data.zeroCount;
    this.count += data.count;
    this.sum += data.sum;
    if (data.count > 0) {
      this.min = Math.min(this.min, data.min);
      this.max = Math.max(this.max, data.max);
    }
  }

  /** The wire form: only the occupied range of buckets. */
  toJSON(): LatencySketchData {
    let first = 0;
    let last = this.counts.length - 1;
    while (first <= last && (this.counts[first] ?? 0) === 0) first++;
    while (last >= first && (this.counts[last] ?? 0) === 0) last--;
    return {
      relativeAccuracy: this.relativeAccuracy,
      offset: this.offset + first,
      counts: Array.from(this.counts.subarray(first, last + 1)),
      zeroCount: this.zeroCount,
      count: this.count,
      sum: this.sum,
      min: this.count > 0 ? this.min : 0,
      max: this.count > 0 ? this.max : 0,
    };
  }

  /** Rebuilds a sketch from its wire form. */
  static fromJSON(data: LatencySketchData, maxBuckets = DEFAULT_MAX_BUCKETS): LatencySketch {
    const s = new LatencySketch(data.relativeAccuracy, maxBuckets);
    s.merge(data);
    return s;
  }
}
