// Benchmarks land with the benchmark issue; this prints the table shape they will fill.
console.table([{ benchmark: '(none yet)', value: '-', goal: '-' }]);
