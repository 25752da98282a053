// web/digit-canvas.js — the drawing surface: dark ink on white paper, drawn with a mouse, a finger or a
// pen (pointer events cover all three), in round strokes about as thick, relative to the digit, as
// MNIST's. The page reads its pixels as RGBA [height, width, 4] and preprocesses them as a photo of a digit.

/** Stroke width in canvas pixels: on a 280-pixel canvas a digit ~200 pixels tall scales into MNIST's 20 × 20 box with strokes ~2 pixels wide. */
const INK_WIDTH = 22;
const INK = '#111';
const PAPER = '#fff';

export class DigitCanvas {
  /**
   * @param {HTMLCanvasElement} canvas
   * @param {{ onStroke: () => void }} handlers onStroke: called as the ink changes (every move, and at the stroke's end)
   */
  constructor(canvas, { onStroke }) {
    this.canvas = canvas;
    this.context = canvas.getContext('2d', { willReadFrequently: true });
    this.onStroke = onStroke;
    this.last = null; // the pointer's previous point while a stroke is drawn
    this.clear();
    canvas.addEventListener('pointerdown', (event) => this.start(event));
    canvas.addEventListener('pointermove', (event) => this.move(event));
    for (const end of ['pointerup', 'pointercancel']) canvas.addEventListener(end, (event) => this.end(event));
  }

  /** The event's position in canvas pixels (the canvas may be shown smaller than it is). */
  point(event) {
    const box = this.canvas.getBoundingClientRect();
    return { x: ((event.clientX - box.left) * this.canvas.width) / box.width, y: ((event.clientY - box.top) * this.canvas.height) / box.height };
  }

  /** A pen, finger or mouse button goes down: a stroke starts (and a tap leaves a dot). */
  start(event) {
    event.preventDefault();
    this.canvas.setPointerCapture(event.pointerId);
    this.last = this.point(event);
    this.line(this.last, this.last);
    this.onStroke();
  }

  /** The stroke goes on to the pointer's new position (moves without a stroke are ignored). */
  move(event) {
    if (this.last === null) return;
    event.preventDefault();
    const next = this.point(event);
    this.line(this.last, next);
    this.last = next;
    this.onStroke();
  }

  /** The pointer is lifted (or the browser took it over): the stroke ends. */
  end(event) {
    if (this.last === null) return;
    this.last = null;
    if (this.canvas.hasPointerCapture(event.pointerId)) this.canvas.releasePointerCapture(event.pointerId);
    this.onStroke();
  }

  /** One round-capped segment of ink. */
  line(from, to) {
    const c = this.context;
    c.strokeStyle = INK;
    c.lineWidth = INK_WIDTH;
    c.lineCap = 'round';
    c.lineJoin = 'round';
    c.beginPath();
    c.moveTo(from.x, from.y);
    c.lineTo(to.x, to.y);
    c.stroke();
  }

  /** Blank paper. */
  clear() {
    this.context.fillStyle = PAPER;
    this.context.fillRect(0, 0, this.canvas.width, this.canvas.height);
  }

  /** Shows an MNIST digit (white ink on black, [28, 28]) as dark ink on paper, filling the canvas. */
  showDigit(pixels, size = 28) {
    const image = this.context.createImageData(size, size);
    for (let k = 0; k < size * size; k++) {
      const level = 255 - pixels[k];
      image.data.set([level, level, level, 255], 4 * k);
    }
    const small = new OffscreenCanvas(size, size);
    small.getContext('2d').putImageData(image, 0, 0);
    this.context.imageSmoothingEnabled = true;
    this.context.drawImage(small, 0, 0, this.canvas.width, this.canvas.height);
  }

  /** Shows a picture (an ImageBitmap) on paper, whole and centred, as large as the canvas allows. */
  showPicture(bitmap) {
    this.clear();
    const scale = Math.min(this.canvas.width / bitmap.width, this.canvas.height / bitmap.height);
    const [width, height] = [bitmap.width * scale, bitmap.height * scale];
    this.context.imageSmoothingEnabled = true;
    this.context.drawImage(bitmap, (this.canvas.width - width) / 2, (this.canvas.height - height) / 2, width, height);
  }

  /** The ink as RGBA bytes [height, width, 4]. */
  pixels() {
    const { width, height } = this.canvas;
    return { rgba: this.context.getImageData(0, 0, width, height).data, width, height };
  }
}
