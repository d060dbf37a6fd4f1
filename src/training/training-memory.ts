// The buffers of training on one backend, reused from step to step so that a
// training loop allocates nothing per step after its first: arenas (autograd/
// arena.ts) for the activations and gradients of one recorded loss, taken for the
// recording and returned when its backward has run (or its evaluation is read),
// and one gradient buffer per parameter, handed out zeroed whenever that
// parameter's gradient starts again after the optimizer's zeroGrad. On the WASM
// backend both live in its memory, where its kernels use them in place.

import { TapeArena } from "../autograd/arena.js";
import type { TapeMemory } from "../autograd/kernels.js";
import type { Parameter } from "../autograd/variable.js";
import type { Backend } from "../backend/backend.js";

export class TrainingMemory {
  private readonly idle: TapeArena[] = [];
  private readonly gradients = new WeakMap<Parameter, Float32Array>();
  /** Zeroes a buffer: the backend's own way when it has one (the WASM backend's bulk fill). */
  private readonly zero: (buffer: Float32Array) => void;

  constructor(private readonly backend: Backend) {
    const own = (backend as Partial<{ zero(buffer: Float32Array): void }>).zero;
    this.zero = own === undefined ? (buffer) => buffer.fill(0) : (buffer) => own.call(backend, buffer);
  }

  /** An arena for one recording (an idle one, or a new one), and the tape memory over it. */
  acquire(): { arena: TapeArena; memory: TapeMemory } {
    const arena = this.idle.pop() ?? new TapeArena((length) => this.backend.allocate(length), this.zero);
    arena.reset();
    return {
      arena,
      memory: {
        allocate: (length) => arena.allocate(length),
        allocateOutput: (length) => arena.allocateOutput(length),
        release: (buffer) => arena.release(buffer),
        parameterGradient: (p) => this.parameterGradient(p),
      },
    };
  }

  /** Gives an arena back once nothing reads its buffers any more. */
  release(arena: TapeArena): void {
    if (!this.idle.includes(arena)) this.idle.push(arena);
  }

  /** Arenas waiting to be reused. */
  get idleArenas(): number {
    return this.idle.length;
  }

  /** The parameter's gradient buffer, zeroed: the same one each time. */
  parameterGradient(parameter: Parameter): Float32Array {
    let grad = this.gradients.get(parameter);
    if (grad === undefined || grad.length !== parameter.size) {
      grad = this.backend.allocate(parameter.size);
      this.gradients.set(parameter, grad);
    } else {
      this.zero(grad);
    }
    return grad;
  }
}

const memories = new WeakMap<Backend, TrainingMemory>();

/** The training memory of a backend (one per backend, created on first use). */
export function trainingMemoryOf(backend: Backend): TrainingMemory {
  let memory = memories.get(backend);
  if (memory === undefined) {
    memory = new TrainingMemory(backend);
    memories.set(backend, memory);
  }
  return memory;
}
