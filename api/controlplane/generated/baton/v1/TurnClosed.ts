// Original file: /work/main/proto/baton/v1/events.proto


export interface TurnClosed {
}

export interface TurnClosed__Output {
}
