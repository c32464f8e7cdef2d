// What a member's role lets them change, mirroring the API's permissions (MemberRole.swift). The
// console only hides buttons with it: the API refuses the request anyway.
const ROLES = {
  administer: ['admin'],
  managePolicies: ['admin', 'policy_manager'],
  decideApprovals: ['admin', 'policy_manager'],
};

export function can(member, permission) {
  return (ROLES[permission] || []).includes(member?.role);
}
