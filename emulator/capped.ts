/** Sets a key and drops the oldest entries once the map holds more than `max`, so long benchmarks stay bounded. */
export function setCapped<V>(map: Map<string, V>, key: string, value: V, max: number): void {
  map.set(key, value);
  while (map.size > max) {
    const oldest = map.keys().next();
    if (oldest.done) break;
    map.delete(oldest.value);
  }
}
