/**
 * How the window names targets and their services, in one place: the
 * picker, the drop zone, the session, History and the resume offer all say
 * the same thing.
 */
import type { Target, TargetKind } from '../../src-shared/ipc-contract.ts';

/** Each service's name, as people know it. */
export const KIND_NAMES: Record<TargetKind, string> = {
  'press-cloud': 'Press Cloud',
  slideless: 'Slideless',
  cloudflare: 'Cloudflare Workers',
};

/** Each service's name where room is short: the picker's options, the add-target dialog's choices. */
export const KIND_SHORT_NAMES: Record<TargetKind, string> = {
  'press-cloud': 'Press Cloud',
  slideless: 'Slideless',
  cloudflare: 'Cloudflare',
};

/** A target in a sentence: "this computer" for the built-in one, else its name. */
export function targetName(target: Pick<Target, 'builtIn' | 'name'>): string {
  return target.builtIn ? 'this computer' : target.name;
}

/** A target in the picker: its name and its service. */
export function targetOption(target: Pick<Target, 'builtIn' | 'name' | 'kind'>): string {
  return target.builtIn ? 'This computer (local)' : `${target.name} · ${KIND_SHORT_NAMES[target.kind]}`;
}
