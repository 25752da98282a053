// examples/gradcheck.mjs — test your own layer: its backward against finite differences, as a property test.
import fc from 'fast-check';
import { checkGradient, gradcheck } from 'xcnn';
import { tensors } from 'xcnn/testing';

// A layer of your own: Swish, y = x·σ(x), and its hand-derived backward, ∂L/∂x = ∂L/∂y · (σ(x) + y·(1 − σ(x))).
const sigmoid = (v) => 1 / (1 + Math.exp(-v));
const swish = (x) => x.map((v) => v * sigmoid(v));
const swishBackward = (x, dy) => x.map((v, k) => dy[k] * (sigmoid(v) + v * sigmoid(v) * (1 - sigmoid(v))));

// For any input x and any upstream gradient r: the loss L = Σ y·r has ∂L/∂y = r.
const float64s = tensors({ length: 6, min: -4, max: 4, precision: 'float64' });
fc.assert(
  fc.property(float64s, float64s, (x, r) => {
    const loss = () => swish(x).reduce((sum, y, k) => sum + y * r[k], 0);
    const check = checkGradient(loss, x, swishBackward(x, r), { name: 'swish' });
    if (!check.passed) throw new Error(`swish[${check.worstIndex}]: finite differences ${check.numeric}, backward ${check.analytic}`);
  }),
);
console.log('swish: the backward pass matches finite differences on 100 random inputs');

// A network from a spec: the input and every parameter tensor, in training mode (batch statistics, dropout's mask fixed).
const report = gradcheck({ arch: 'conv(4,3,pad=1) bn relu maxpool(2) flatten dropout(0.2) linear(3)', input: { channels: 3, height: 8, width: 8 }, classes: 3 });
for (const t of report.tensors) console.log(`${t.name.padEnd(12)} ${t.checked} checked, largest relative error ${t.maxRelativeError.toExponential(1)}`);
console.log(report.passed ? 'gradcheck passed' : 'gradcheck FAILED');
