// Printed at the start of `npm test` so every test log says which runtime produced it.
console.log(`seatline tests on Node ${process.version} (${process.platform}-${process.arch})`)
