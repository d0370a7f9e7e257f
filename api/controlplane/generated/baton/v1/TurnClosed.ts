// Original file: proto/baton/v1/events.proto


export interface TurnClosed {
}

export interface TurnClosed__Output {
}
