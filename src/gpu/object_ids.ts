// Small numbers for objects, for caches keyed by which GPU objects something was made from (a
// string key cannot hold the objects themselves). Weak: an id does not keep its object alive.
export class ObjectIds {
  private ids = new WeakMap<object, number>();
  private next = 1;

  of(o: object): number {
    let id = this.ids.get(o);
    if (id === undefined) {
      id = this.next++;
      this.ids.set(o, id);
    }
    return id;
  }
}
