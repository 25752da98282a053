/**
 * Learning-rate schedules, as torch.optim.lr_scheduler defines them, with an optional linear warm-up.
 * The rate of an update is a pure function of where it stands in the run, so a resumed run (or one with
 * a longer --epochs) needs no scheduler state in its checkpoint: only these settings.
 *
 *   constant           lr (the paper's)
 *   step(S, γ)         StepLR(step_size=S, gamma=γ), stepped per epoch: lr·γ^⌊e/S⌋, e the 0-based epoch
 *   cosine             CosineAnnealingLR(T_max=epochs, eta_min=0), stepped per epoch: lr·(1 + cos(π·e/E))/2
 *   one-cycle          OneCycleLR(max_lr=lr, total_steps=E·B, pct_start=0.3, anneal_strategy='cos',
 *                      div_factor=25, final_div_factor=1e4, three_phase=False, cycle_momentum=False),
 *                      stepped per batch: cosine from lr/25 up to lr over the first 30 % of the steps,
 *                      then down to lr/25/1e4 at the last step
 *   warm-up W          LinearLR(start_factor=1/W, end_factor=1, total_iters=W−1) stepped per batch and
 *                      multiplying the schedule (ChainedScheduler): update t (0-based) uses ·(t+1)/W for t < W
 */
export type ScheduleName = 'constant' | 'step' | 'cosine' | 'one-cycle';
export const SCHEDULE_NAMES: readonly ScheduleName[] = ['constant', 'step', 'cosine', 'one-cycle'];

export interface ScheduleSettings {
  name: ScheduleName;
  stepSize: number; // step: epochs between decays
  gamma: number; // step: the decay factor
  warmup: number; // warm-up updates, 0 for none
}

export const CONSTANT_SCHEDULE: ScheduleSettings = { name: 'constant', stepSize: 1, gamma: 0.1, warmup: 0 };

/** Where an update stands: its 0-based index in the run, its epoch (0-based), and the run's length. */
export interface SchedulePoint {
  update: number; // 0-based over the whole run
  epoch: number; // 0-based
  epochs: number;
  updatesPerEpoch: number;
}

/** The learning rate of the update at `point`, from the base rate `lr`. */
export function scheduledRate(lr: number, schedule: ScheduleSettings, point: SchedulePoint): number {
  const base = scheduleFactor(lr, schedule, point);
  const w = schedule.warmup;
  return w > 0 && point.update < w ? (base * (point.update + 1)) / w : base;
}

function scheduleFactor(lr: number, schedule: ScheduleSettings, { update, epoch, epochs, updatesPerEpoch }: SchedulePoint): number {
  switch (schedule.name) {
    case 'constant':
      return lr;
    case 'step':
      return lr * schedule.gamma ** Math.floor(epoch / schedule.stepSize);
    case 'cosine':
      return (lr * (1 + Math.cos((Math.PI * epoch) / epochs))) / 2;
    case 'one-cycle':
      return oneCycleRate(lr, update, epochs * updatesPerEpoch);
  }
}

/** torch's OneCycleLR (two phases, cosine annealing) at 0-based step `step` of `total`. */
export function oneCycleRate(maxLr: number, step: number, total: number): number {
  const initial = maxLr / 25;
  const minimum = initial / 1e4;
  const anneal = (start: number, end: number, pct: number) => end + ((start - end) / 2) * (Math.cos(Math.PI * pct) + 1);
  const phases = [
    { end: 0.3 * total - 1, start: initial, stop: maxLr },
    { end: total - 1, start: maxLr, stop: minimum },
  ];
  let startStep = 0;
  for (let k = 0; k < phases.length; k++) {
    const phase = phases[k];
    if (step <= phase.end || k === phases.length - 1) return anneal(phase.start, phase.stop, (step - startStep) / (phase.end - startStep));
    startStep = phase.end;
  }
  return maxLr; // unreachable: the last phase always answers
}
