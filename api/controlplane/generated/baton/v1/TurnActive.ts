// Original file: proto/baton/v1/events.proto


export interface TurnActive {
}

export interface TurnActive__Output {
}
