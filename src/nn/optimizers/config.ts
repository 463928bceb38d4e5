// Optimizers to and from Keras's training_config (model.save / load_model).
import type { Optimizer } from './optimizer.js';
import { RMSprop } from './rmsprop.js';
import { Adam } from './adam.js';

export function optimizerConfig(o: Optimizer): { class_name: string; config: Record<string, number | boolean> } {
  return { class_name: o.className, config: o.getConfig() };
}

const num = (c: Record<string, unknown>, ...keys: string[]): number | undefined => {
  for (const k of keys) if (typeof c[k] === 'number') return c[k] as number;
  return undefined;
};

/** The optimizer a training_config names, or an error naming the file and the class. */
export function optimizerFromConfig(cfg: unknown, source: string): Optimizer {
  const oc = (cfg as { optimizer_config?: { class_name?: unknown; config?: Record<string, unknown> } })
    ?.optimizer_config;
  const cls = oc?.class_name;
  const c = oc?.config ?? {};
  // Keras 2.3 writes learning_rate; 2.2 and earlier wrote lr.
  const lr = num(c, 'learning_rate', 'lr');
  if (cls === 'RMSprop')
    return new RMSprop({ lr, rho: num(c, 'rho'), epsilon: num(c, 'epsilon'), decay: num(c, 'decay') });
  if (cls === 'Adam') {
    if (c.amsgrad === true) throw new Error(`dawnflow: ${source}: Adam with amsgrad is not supported`);
    return new Adam({
      lr,
      beta1: num(c, 'beta_1'),
      beta2: num(c, 'beta_2'),
      epsilon: num(c, 'epsilon'),
      decay: num(c, 'decay'),
    });
  }
  throw new Error(`dawnflow: ${source}: optimizer '${String(cls)}' is not supported (RMSprop or Adam)`);
}
