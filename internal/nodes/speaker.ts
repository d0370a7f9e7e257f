// The TTS stage of one turn: opens the node at the first text, feeds it the reply as it streams, gates every frame on credits; it never decides the turn's outcome.
import { abortable, invoke } from './deadline.js';
import { type InvocationEvidence, utf8Bytes } from './invocation.js';
import type { TtsCall, TtsNode, TtsStream } from './node.js';
import type { NodeWork, StageScope } from './scope.js';
import type { Stage } from './stages.js';

export interface Speaker {
  push(text: string): Promise<void>;
  end(): Promise<void>;
}

/**
 * The node's budget runs only while it is speaking: not while it waits for the
 * LLM's next delta, nor while it waits for credits from the consumer (that is
 * playback pacing, not slowness). One invocation covers the whole reply.
 */
export function openSpeaker(scope: StageScope, stage: Stage<TtsNode>): Speaker {
  const signal = scope.signal;
  let opened: { stream: TtsStream; work: NodeWork; inv: InvocationEvidence } | undefined;

  const open = () => {
    if (opened) return opened;
    const work = scope.startWork(stage.node);
    const inv = scope.openInvocation(stage.node);
    const call: TtsCall = {
      ...scope.nodeCall(stage.node, signal),
      credit: () => credit(scope, work),
      audio: (frame, ms) => {
        if (signal.aborted || inv.isClosed) return;
        inv.addOutput(frame);
        scope.audio(frame, ms);
      },
    };
    try {
      opened = { stream: stage.impl.open(call), work, inv };
    } catch (err) {
      work.done();
      throw scope.nodeThrew(inv, err);
    }
    return opened;
  };

  const drive = async (target: NonNullable<typeof opened>, step: (stream: TtsStream) => Promise<void>): Promise<void> => {
    target.work.deadline.release();
    try {
      await abortable(
        invoke(() => step(target.stream)),
        signal,
      );
    } catch (err) {
      target.work.done();
      throw scope.nodeThrew(target.inv, err);
    }
    target.work.deadline.hold();
  };

  return {
    async push(text: string): Promise<void> {
      const target = open();
      target.inv.addInput(utf8Bytes(text));
      await drive(target, (stream) => stream.push(text));
    },
    async end(): Promise<void> {
      if (!opened) return;
      const target = opened;
      await drive(target, (stream) => stream.end());
      target.work.done();
      scope.close(target.inv, 'ok');
    },
  };
}

async function credit(scope: StageScope, work: NodeWork): Promise<void> {
  const credits = scope.ctx.credits;
  if (!credits) return;
  work.deadline.hold();
  try {
    await abortable(
      invoke(() => credits.wait()),
      scope.signal,
    );
  } finally {
    work.deadline.release();
  }
}
