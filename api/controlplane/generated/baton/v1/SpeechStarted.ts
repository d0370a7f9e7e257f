// Original file: /work/main/proto/baton/v1/events.proto


export interface SpeechStarted {
}

export interface SpeechStarted__Output {
}
