// Original file: proto/baton/v1/events.proto


export interface PlaybackStarted {
}

export interface PlaybackStarted__Output {
}
