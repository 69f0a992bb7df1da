// Replaced by the real test kit (NATS + FerretDB on free ports) in the next commit.
export default function setup(): void {}
