// web/probability-bars.js — the ten class probabilities as a list of bars, the predicted class marked.
// Each row reads as text too ("7 98.1%"), so a screen reader gets the same as the picture.

export class ProbabilityBars {
  /** @param {HTMLOListElement} list */
  constructor(list) {
    this.list = list;
    this.rows = [];
  }

  /** One row per class, all empty. */
  setClasses(classNames) {
    this.list.replaceChildren();
    this.rows = classNames.map((name) => {
      const row = document.createElement('li');
      const label = document.createElement('span');
      label.textContent = name;
      const bar = document.createElement('span');
      bar.className = 'bar';
      bar.setAttribute('aria-hidden', 'true');
      const fill = document.createElement('span');
      fill.className = 'fill';
      bar.append(fill);
      const value = document.createElement('span');
      value.className = 'value';
      row.append(label, bar, value);
      this.list.append(row);
      return { row, fill, value };
    });
    this.show(null, -1);
  }

  /** probabilities: [classes] summing to 1, or null to empty the bars; format: a probability as text. */
  show(probabilities, predicted, format = (p) => `${(100 * p).toFixed(1)}%`) {
    this.rows.forEach(({ row, fill, value }, k) => {
      const p = probabilities === null ? 0 : probabilities[k];
      fill.style.width = `${(100 * p).toFixed(1)}%`;
      value.textContent = probabilities === null ? '–' : format(p);
      row.classList.toggle('predicted', k === predicted);
    });
  }
}
