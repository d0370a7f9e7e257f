// Original file: proto/baton/v1/events.proto


export interface SpeechStarted {
}

export interface SpeechStarted__Output {
}
