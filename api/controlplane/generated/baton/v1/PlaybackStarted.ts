// Original file: /work/main/proto/baton/v1/events.proto


export interface PlaybackStarted {
}

export interface PlaybackStarted__Output {
}
