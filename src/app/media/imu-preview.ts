/** A light IMU plot: the first rows of the CSV's six channels, downsampled (preview only). */
export function imuSeries(csv: string, points = 120): number[][] {
  const rows: number[][] = [];
  for (const line of csv.split(/\r?\n/)) {
    const vals = line.split(/[,;\s]+/).filter(Boolean).map(Number);
    if (vals.length >= 6 && vals.every(Number.isFinite)) rows.push(vals.slice(-6));
    if (rows.length >= 2000) break;
  }
  const step = Math.max(1, Math.floor(rows.length / points));
  const series: number[][] = [[], [], [], [], [], []];
  for (let i = 0; i < rows.length; i += step) for (let c = 0; c < 6; c++) series[c]!.push(rows[i]![c]!);
  return series;
}
