// web/training-curves.js — a live line chart of one training figure (loss, or accuracy) against the
// images seen: the running training value after every step, and the validation value after every epoch
// (a dot per epoch, joined). Drawn on a canvas whose backing store is its CSS size × devicePixelRatio, so
// lines and text stay crisp on high-DPI screens; it redraws at most once an animation frame.

const COLOURS = { train: '#1a5fb4', validation: '#c0392b' };

export class TrainingCurve {
  /**
   * @param {HTMLCanvasElement} canvas
   * @param {{ title: string, percent?: boolean }} options  percent: values in [0, 1] shown as 0–100%
   */
  constructor(canvas, options) {
    this.canvas = canvas;
    this.title = options.title;
    this.percent = options.percent ?? false;
    this.series = { train: [], validation: [] }; // [x: images seen over the run, y]
    this.total = 1; // images of the whole run (the x axis' end)
    this.scheduled = false;
    this.resize();
  }

  /** Sizes the backing store to the element's CSS width × devicePixelRatio (height: 3/8 of the width). */
  resize() {
    const ratio = window.devicePixelRatio || 1;
    const width = Math.max(200, this.canvas.clientWidth || 320);
    const height = Math.round(width * 0.375);
    this.canvas.style.height = `${height}px`;
    this.canvas.width = Math.round(width * ratio);
    this.canvas.height = Math.round(height * ratio);
    this.scale = ratio;
    this.draw();
  }

  /** Starts over for a run of `total` images (epochs × training images). */
  reset(total) {
    this.series = { train: [], validation: [] };
    this.total = Math.max(1, total);
    this.request();
  }

  add(name, x, y) {
    if (!Number.isFinite(y)) return;
    this.series[name].push([x, y]);
    this.request();
  }

  request() {
    if (this.scheduled) return;
    this.scheduled = true;
    requestAnimationFrame(() => {
      this.scheduled = false;
      this.draw();
    });
  }

  draw() {
    const context = this.canvas.getContext('2d');
    const { width, height } = this.canvas;
    const s = this.scale;
    context.setTransform(1, 0, 0, 1, 0, 0);
    context.fillStyle = '#fff';
    context.fillRect(0, 0, width, height);
    context.scale(s, s);
    const w = width / s;
    const h = height / s;
    const left = 44;
    const right = 8;
    const top = 22;
    const bottom = 22;
    const points = [...this.series.train, ...this.series.validation];
    const ys = points.map(([, y]) => y);
    const yMin = this.percent ? Math.max(0, Math.floor(Math.min(0.9, ...ys) * 10) / 10) : 0; // accuracy: from the lowest tenth shown
    const yMax = this.percent ? 1 : Math.max(0.1, ...ys) * 1.05;
    const px = (x) => left + ((w - left - right) * x) / this.total;
    const py = (y) => top + ((h - top - bottom) * (yMax - y)) / (yMax - yMin || 1);

    context.font = '12px system-ui, sans-serif';
    context.fillStyle = '#1b1b1b';
    context.textBaseline = 'top';
    context.fillText(this.title, left, 4);
    context.strokeStyle = '#d6d6d0';
    context.lineWidth = 1;
    context.textBaseline = 'middle';
    context.textAlign = 'right';
    for (let k = 0; k <= 4; k++) {
      const y = yMin + ((yMax - yMin) * k) / 4;
      context.beginPath();
      context.moveTo(left, py(y));
      context.lineTo(w - right, py(y));
      context.stroke();
      context.fillText(this.percent ? `${Math.round(100 * y)}%` : y.toFixed(2), left - 4, py(y));
    }
    context.textAlign = 'left';
    context.textBaseline = 'top';
    context.fillText('images seen', left, h - bottom + 6);
    for (const name of ['train', 'validation']) {
      const series = this.series[name];
      context.strokeStyle = COLOURS[name];
      context.fillStyle = COLOURS[name];
      context.lineWidth = 1.5;
      context.beginPath();
      series.forEach(([x, y], k) => (k === 0 ? context.moveTo(px(x), py(y)) : context.lineTo(px(x), py(y))));
      context.stroke();
      if (name === 'validation') for (const [x, y] of series) context.fillRect(px(x) - 3, py(y) - 3, 6, 6);
    }
  }
}
