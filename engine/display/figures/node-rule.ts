/**
 * Reading a graph node's backward rule from a payload: the engine lists each
 * distinct rule once in `GraphPayload.rules` and nodes point into it with
 * `ruleRef`; older payloads carry the rule inline on the node (`rule`).
 *
 * Pure functions of untrusted payload data: no DOM, no Node APIs.
 */
import type { BackwardRule, GraphNode, GraphPayload } from '../contract';

/**
 * The backward rule of `node` in payload `p` (only its `rules` is read): the
 * table entry its `ruleRef` points to, else its inline `rule`, else null (a
 * leaf, a constant, or a reference that points nowhere). The result is only
 * known to be an object; a reader still checks each field it uses.
 */
export function ruleOf(p: Pick<GraphPayload, 'rules'> | null | undefined, node: Partial<GraphNode> | null | undefined): BackwardRule | null {
  if (typeof node !== 'object' || node === null) return null;
  const ref = node.ruleRef;
  if (ref !== undefined) {
    const rules: unknown = p?.rules;
    const r: unknown = Array.isArray(rules) && Number.isInteger(ref) && ref >= 0 && ref < rules.length ? rules[ref] : null;
    return typeof r === 'object' && r !== null ? (r as BackwardRule) : null;
  }
  const r: unknown = node.rule;
  return typeof r === 'object' && r !== null ? (r as BackwardRule) : null;
}
