// onebeat's microphone tap: an AudioWorklet that hands the page blocks of the
// microphone's samples (first input channel), each with the audio-context frame of its
// first sample, so that the page can put them in song time and stream them to the server.
const BLOCK = 1024;

class MicBlocks extends AudioWorkletProcessor {
  constructor() {
    super();
    this.buf = new Float32Array(BLOCK);
    this.n = 0;
    this.first = 0;
  }

  process(inputs) {
    const ch = inputs[0] && inputs[0][0];
    if (!ch) return true;
    if (this.n === 0) this.first = currentFrame;
    let i = 0;
    while (i < ch.length) {
      const take = Math.min(ch.length - i, BLOCK - this.n);
      this.buf.set(ch.subarray(i, i + take), this.n);
      this.n += take;
      i += take;
      if (this.n === BLOCK) {
        const out = this.buf;
        this.port.postMessage({ frame: this.first, samples: out }, [out.buffer]);
        this.buf = new Float32Array(BLOCK);
        this.n = 0;
        this.first = currentFrame + i;
      }
    }
    return true;
  }
}

registerProcessor("onebeat-mic", MicBlocks);
