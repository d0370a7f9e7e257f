// Original file: /work/main/proto/baton/v1/events.proto


export interface TurnActive {
}

export interface TurnActive__Output {
}
