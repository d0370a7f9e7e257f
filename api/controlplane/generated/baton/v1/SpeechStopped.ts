// Original file: proto/baton/v1/events.proto


export interface SpeechStopped {
}

export interface SpeechStopped__Output {
}
