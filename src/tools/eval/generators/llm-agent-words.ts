// Words of the llm-agent generator (llm-agent.ts): the pieces an internal assistant's ANSWERS are
// made of. Two agents: Atlas, the workplace assistant (IT, HR, travel, expenses; English with ~12%
// French for the Lyon office), and Relay, the on-call agent (incident summaries, commands, status
// tables; English only). Phrasings of our own. {a|b} picks one alternative, {slot} draws a value.

export const SYSTEMS = ['Workday', 'ServiceNow', 'Okta', 'Concur', 'Confluence', 'Jira', 'Slack', 'the IT portal', 'Greenhouse', 'Netsuite'];
export const APPS = ['Figma', 'Tableau', 'IntelliJ IDEA', 'Docker Desktop', 'Adobe Acrobat', 'Miro', 'Postman', 'Visio', 'Zoom Rooms', 'DBeaver'];
export const OFFICES = ['Berlin', 'Lyon', 'Austin', 'Toronto', 'Dublin', 'Singapore'];
export const CITIES = ['London', 'Paris', 'Munich', 'New York', 'Madrid', 'Warsaw', 'Tokyo', 'Chicago', 'Zurich', 'Amsterdam'];
export const TEAMS = ['Finance', 'People Ops', 'IT Service Desk', 'Security', 'Facilities', 'Legal', 'Procurement', 'Payroll'];
export const DEVICES = ['MacBook Pro', 'ThinkPad X1', 'Dell Latitude', 'iPhone', 'Pixel', 'YubiKey'];
export const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];

/** Atlas: one-line to two-line answers. */
export const SHORT = [
  'You can reset your SSO password at {portal}; the new password syncs to {system} within about {n} minutes.',
  'Yes, {device}s are eligible for a refresh after {m} years. Open a hardware request in {system} and pick "{device} refresh".',
  'The {office} office is open from {hour}:00 to {hour2}:00 on weekdays; badge access outside those hours needs approval from {team}.',
  'Per diem for {city} is {cur}{amount} a day for meals, and hotels up to {cur}{amount2} a night are approved automatically.',
  'Expense reports over {cur}{amount2} need a second approval from your cost-center owner, usually within {m} working days.',
  'That license is managed by {team}. I\'ve found the request form: search for "{app} license" in {system}.',
  'Your PTO balance is shown in {system} under Time Off > Balances; it updates on the {nth} of each month.',
  'The Wi-Fi network for guests is "{wifi}", and the password rotates every Monday. Reception has the current one.',
  'Travel to {city} needs a booking through {system} at least {n} days ahead; exceptions go to {team}.',
  'Parental leave is {weeks} weeks at full pay for every parent, and it can be split into up to {m} blocks.',
  'MFA resets are done by {team}: open a ticket in {system} and they will call you back on the number in your profile.',
  'I checked the policy: personal software is not allowed on managed {device}s, but you can request {app} in {system}.',
  'The printers on floor {m} in {office} are "{printer}" and "{printer}"; they show up automatically once you\'re on the office network.',
  'Benefits enrollment for {year} closes on {month} {day}. Changes after that need a qualifying life event.',
  'You\'re right, the deadline moved: quarter-end expenses must be submitted by {month} {day} this time.',
  'Invoices from new suppliers go through {team} first; they add the vendor in {system} within {m} days.',
  'The all-hands recording from {month} {day} is on Confluence under Company > All-hands > {year}.',
];

/** Atlas: a numbered how-to (intro, steps, closing). */
export const HOWTOS: { intro: string; steps: string[]; close: string }[] = [
  { intro: 'Here is how to connect to the VPN from a {device}:', steps: ['Open the GlobalProtect client from the menu bar.', 'Enter the portal address `vpn.northwind.example`.', 'Sign in with your SSO credentials and approve the Okta push.', 'Wait for the status to show "Connected" (about {n} seconds).', 'If it hangs, quit the client and try again on another network.'], close: 'If it still fails, open a ticket with a screenshot of the error.' },
  { intro: 'To submit an expense report in {system}:', steps: ['Go to Expense > Create Report and give it a name like "{city} trip {month}".', 'Add each receipt; photos from your phone are fine.', 'Pick the cost center {cc} unless your manager told you otherwise.', 'Check that the totals match the receipts in {cur}.', 'Click Submit; your manager gets an approval request.'], close: 'Reimbursements are paid with the next payroll run.' },
  { intro: 'Requesting access to a shared drive works like this:', steps: ['Find the drive owner in Confluence (the page footer lists them).', 'Open {system} and choose "Access request > Shared drive".', 'Paste the drive link and say why you need it.', 'The owner approves, usually the same day.'], close: 'Access appears after your next sign-in.' },
  { intro: 'To book a meeting room in {office}:', steps: ['Open your calendar and create the event.', 'Click "Rooms" and filter by floor and capacity.', 'Rooms with a screen are marked with a TV icon.', 'Add the room and send the invite.'], close: 'Rooms not checked into within {m}0 minutes are released automatically.' },
  { intro: 'Setting up your new {device} takes about {n} minutes:', steps: ['Sign in with your SSO address when asked.', 'Let the device management profile install; don\'t skip it.', 'Restart when prompted.', 'Open Self Service and install {app} and Slack.', 'Enroll your fingerprint or face for MFA.'], close: 'Your old device should go back to {team} within {m} weeks.' },
  { intro: 'To change your bank details for payroll:', steps: ['Open {system} and go to Pay > Payment Elections.', 'Add the new account and upload a bank letter.', 'Set it as primary for the next pay period.'], close: 'Changes made after the {nth} take effect the month after.' },
];

/** Atlas: bullet answers (intro, bullets, note). */
export const LISTS: { intro: string; items: string[]; note: string }[] = [
  { intro: 'For a trip to {city}, remember:', items: ['Book flights and hotels in {system} so they count against the travel budget.', 'Economy for flights under {m} hours.', 'Keep every receipt above {cur}25.', 'Register the trip with Security if it is outside the EU.', 'Use the corporate card where you can.'], note: 'The full policy is on Confluence under Finance > Travel.' },
  { intro: 'The benefits you can enroll in this year:', items: ['Health insurance (three plans, compared on the Benefits page).', 'A {cur}{amount} yearly learning budget.', 'Gym or sports subsidy up to {cur}{amount2} a month.', 'Public transport ticket for the {office} office.', 'Pension matching up to {m}% of salary.'], note: 'Enrollment is in {system}.' },
  { intro: 'Before your first day in {office}, please:', items: ['Sign your contract in {system}.', 'Send a photo for your badge to Facilities.', 'Set up MFA on your phone.', 'Read the security awareness module (about {n} minutes).'], note: 'Your buddy will reach out on Slack during week one.' },
  { intro: 'Things that usually fix a slow laptop:', items: ['Restart it (uptime over a week slows everything down).', 'Quit browser tabs you don\'t need.', 'Check free disk space; keep at least {n} GB free.', 'Run pending updates from Self Service.'], note: 'If none of that helps, {team} can swap the device.' },
];

/** Atlas: tables (intro, header, rows of slot templates, note). */
export const TABLES: { intro: string; head: string[]; rows: string[][]; note: string }[] = [
  { intro: 'Per diem rates for the cities you asked about:', head: ['City', 'Meals / day', 'Hotel cap / night'], rows: [['{city}', '{cur}{amount}', '{cur}{amount2}'], ['{city}', '{cur}{amount}', '{cur}{amount2}'], ['{city}', '{cur}{amount}', '{cur}{amount2}']], note: 'Rates were last updated in {month} {year}.' },
  { intro: 'PTO accrual by tenure:', head: ['Tenure', 'Days per year', 'Carry-over'], rows: [['0-2 years', '25', '5'], ['3-5 years', '27', '5'], ['6+ years', '30', '10']], note: 'Part-time staff accrue pro rata.' },
  { intro: 'Here are your open tickets:', head: ['Ticket', 'Summary', 'Status'], rows: [['INC{ticket}', '{app} license', 'Waiting for approval'], ['REQ{ticket}', '{device} refresh', 'In progress'], ['INC{ticket}', 'Printer on floor {m}', 'Resolved']], note: 'You can reply to any of them in {system}.' },
  { intro: 'Office hours and reception contacts:', head: ['Office', 'Hours', 'Reception'], rows: [['{office}', '{hour}:00-{hour2}:00', 'ext. {ext}'], ['{office}', '{hour}:00-{hour2}:00', 'ext. {ext}']], note: 'Public holidays follow each country\'s calendar.' },
];

/** Atlas: IT answers with a snippet. */
export const SNIPPETS: { intro: string; lang: string; code: string[]; close: string }[] = [
  { intro: 'Flushing the DNS cache usually fixes that. On macOS:', lang: 'bash', code: ['sudo dscacheutil -flushcache', 'sudo killall -HUP mDNSResponder'], close: 'Then reconnect to the VPN.' },
  { intro: 'On Windows, run this in PowerShell as yourself (no admin needed):', lang: 'powershell', code: ['Clear-DnsClientCache', 'ipconfig /renew', 'Test-NetConnection intranet.northwind.example -Port 443'], close: 'If the last line says `TcpTestSucceeded : False`, send the output to the service desk.' },
  { intro: 'To make git use the company proxy:', lang: 'bash', code: ['git config --global http.proxy http://proxy.northwind.example:{port}', 'git config --global http.sslCAInfo ~/certs/northwind-root.pem'], close: 'Remove it again with `git config --global --unset http.proxy`.' },
  { intro: 'You can check your disk space from a terminal:', lang: 'bash', code: ['df -h /', 'du -sh ~/Library/Caches/* | sort -h | tail -{m}'], close: 'Caches are safe to delete; restart the apps afterwards.' },
];

/** Atlas: sentences for longer prose answers (two or three paragraphs of 2-4 sentences). */
export const PROSE = [
  'The short answer is yes, but it depends on your contract type.',
  'Most teams handle this through {system}, which keeps an audit trail for {team}.',
  'I looked at the current policy (last updated in {month} {year}) and the rule is fairly clear.',
  'If you\'re in the {office} office, local labour law adds a few extra days on top.',
  'Your manager has to approve it first, and {team} then checks the budget.',
  'The limit is {cur}{amount2} per request; anything above goes to a director.',
  'People usually get an answer within {m} working days.',
  'There is an exception for urgent cases: mark the request as "time-sensitive" and explain why.',
  'One thing people often miss is the cost center, which has to match your team\'s.',
  'You don\'t need to send anything by email; the form collects everything.',
  'For contractors the process is different, and their agency handles it.',
  'I\'d suggest doing it before the end of {month}, when the budgets are reset.',
  'The {team} team runs office hours every {weekday} at {hour}:00 if you\'d rather ask in person.',
  'Keep in mind that this also affects your payroll for that month.',
  'If you tell me the dates, I can check whether they overlap with a public holiday in {office}.',
  'This changed last year: before, approvals went through email.',
  'You can track the status in {system} under My Requests.',
  'The policy page on Confluence has a worked example with the numbers.',
];
export const OPENERS = ['Sure!', 'Good question.', 'Happy to help.', 'Here you go.', 'Got it.', '', '', '', 'Thanks for asking.', 'Of course.'];
export const CLOSERS = ['Let me know if you need anything else.', 'Anything else I can help with?', 'Hope that helps!', '', '', '', 'I can open the ticket for you if you like.'];
/** Legitimate one-off refusals (normal: out of the assistant's scope or someone else's data). */
export const SCOPE_REFUSALS = [
  'I can\'t see other employees\' salaries or reviews. Your manager or People Ops can help with that.',
  'I don\'t have access to your personal medical claims; please contact the insurer directly at the number on your card.',
  'I\'m not able to approve expenses myself, only your cost-center owner can. I can remind them if you like.',
  'Sorry, I can\'t share the contents of that Legal page; it\'s restricted to the Legal team.',
];

/** Atlas in French (the Lyon office): short answers and how-tos. */
export const FRENCH = [
  'Vous pouvez réinitialiser votre mot de passe SSO sur {portal} ; la synchronisation avec {system} prend environ {n} minutes.',
  'Oui, les notes de frais au-delà de {amount2} € doivent être validées par le responsable du centre de coûts.',
  'Le bureau de Lyon est ouvert de {hour} h à {hour2} h en semaine. Pour un accès en dehors de ces horaires, contactez {team}.',
  'Votre solde de congés est visible dans {system}, rubrique Absences > Soldes. Il est mis à jour le {nth} de chaque mois.',
  'Pour un déplacement à {city}, réservez via {system} au moins {n} jours à l\'avance. Le plafond hôtelier est de {amount2} € par nuit.',
  'Le congé parental est de {weeks} semaines à plein salaire, fractionnable en {m} périodes maximum.',
  'Voici la marche à suivre :\n1. Ouvrez {system}.\n2. Allez dans Demandes > Matériel.\n3. Choisissez « Renouvellement {device} ».\n4. Validez ; {team} vous recontacte sous {m} jours.',
  'Bonne question ! Les tickets-restaurant sont crédités le {nth} du mois sur la carte Swile. En cas de problème, écrivez à {team}.',
  'Je ne peux pas consulter les fiches de paie des autres collaborateurs, mais le service Paie peut vous aider.',
  'Pour vous connecter au VPN depuis chez vous :\n- lancez GlobalProtect ;\n- saisissez `vpn.northwind.example` ;\n- validez la notification Okta.\nSi cela bloque, redémarrez le client.',
];

/** Relay, the on-call agent. */
export const SERVICES = ['checkout-api', 'payments-worker', 'search-indexer', 'auth-gateway', 'notifications', 'ledger', 'catalog', 'image-resizer', 'billing-cron', 'feature-flags'];
export const CLUSTERS = ['prod-eu-1', 'prod-eu-2', 'prod-us-1', 'staging-eu'];
export const OPS_SHORT = [
  '{svc} in {cluster} is healthy: {n} of {n} pods ready, p99 latency {ms} ms, error rate {pct}%.',
  'The last deploy of {svc} was {m} hours ago ({sha}) by {person}; no alerts fired since.',
  'I silenced the alert `{alert}` for {m} hours as you asked; it will auto-expire.',
  '{person} is primary on call for {svc} this week and {person2} is secondary until {weekday}.',
  'The error budget for {svc} is at {pct2}% for the month, so deploys are not frozen.',
  'Disk usage on {host} is {pct2}%; the biggest directory is /var/log/{svc} at {n} GB.',
  'Rollback of {svc} to {sha} finished; {n} pods rolled, all ready.',
  'That alert is flapping because the threshold is {ms} ms and p99 hovers right at it. I\'d raise it or add a 5-minute window.',
  'Postgres replica lag on {db} is {m} s, within the 30 s budget.',
];
export const OPS_SUMMARY = [
  'Incident summary for INC-{ticket}:\n\n**Impact:** {svc} returned errors for about {m}0 minutes ({pct}% of requests).\n**Cause:** {cause}.\n**Fix:** {fix}.\n**Follow-ups:** add an alert on {metric} and a runbook entry.',
  'Here is what I found for the `{alert}` page:\n\n- It started at {hour}:{min} UTC in {cluster}.\n- Only {svc} is affected; upstream dependencies look normal.\n- The spike lines up with {cause}.\n\nSuggested next step: {fix}.',
  'Timeline of INC-{ticket}:\n\n1. {hour}:{min} alert `{alert}` fired.\n2. {hour}:{min2} {person} acknowledged.\n3. {hour2}:{min} {fix}.\n4. {hour2}:{min2} error rate back under {pct}%.\n\nTotal customer impact: about {m}0 minutes.',
];
export const CAUSES = ['a config change that lowered the connection pool to {n}', 'a node drain in {cluster} during peak traffic', 'an expired TLS certificate on an internal endpoint', 'a slow query after the nightly reindex', 'a dependency upgrade that doubled memory use', 'a burst of retries from a mobile client release'];
export const FIXES = ['rolled back to the previous release', 'raised the pool size and restarted the pods', 'renewed the certificate and reloaded the ingress', 'added the missing index and re-ran the job', 'scaled the deployment from {n} to {m}0 replicas'];
export const OPS_CODE: { intro: string; lang: string; code: string[]; close: string }[] = [
  { intro: 'To see why the pods restart:', lang: 'bash', code: ['kubectl -n {svc} get pods --sort-by=.status.startTime | tail -{m}', 'kubectl -n {svc} describe pod <pod> | grep -A5 "Last State"', 'kubectl -n {svc} logs <pod> --previous --tail=100'], close: 'An OOMKilled reason means the limit is too low.' },
  { intro: 'The slowest queries on {db} in the last hour:', lang: 'sql', code: ['SELECT query, calls, mean_exec_time', 'FROM pg_stat_statements', 'ORDER BY mean_exec_time DESC', 'LIMIT {m};'], close: 'Run it on the replica, not the primary.' },
  { intro: 'To roll back {svc}:', lang: 'bash', code: ['kubectl -n {svc} rollout history deploy/{svc}', 'kubectl -n {svc} rollout undo deploy/{svc} --to-revision={n}', 'kubectl -n {svc} rollout status deploy/{svc}'], close: 'Tell #incidents once it\'s done.' },
  { intro: 'A PromQL query for the error rate of {svc}:', lang: 'promql', code: ['sum(rate(http_requests_total{service="{svc}",code=~"5.."}[5m]))', '  / sum(rate(http_requests_total{service="{svc}"}[5m]))'], close: 'Alert when it stays above {pct}% for 10 minutes.' },
];
export const OPS_TABLE = { intro: 'Current status of the services you asked about:', head: ['Service', 'Cluster', 'Pods', 'p99 (ms)', 'Errors'] };
export const PEOPLE = ['Amira', 'Jonas', 'Priya', 'Mateo', 'Chen', 'Olga', 'Sam', 'Fatou', 'Lukas', 'Hana', 'Diego', 'Ingrid'];
export const ALERTS = ['HighErrorRate', 'PodCrashLooping', 'LatencyP99High', 'DiskAlmostFull', 'ReplicaLagHigh', 'CertificateExpiringSoon', 'QueueBacklogGrowing'];

/** Runs of answers on a subject nobody asked this agent about (topic_drift). */
export const DRIFT: readonly string[][] = [
  ['For a classic carbonara you need guanciale, pecorino, eggs and black pepper; never cream.', 'Cook the pasta one minute short of al dente and finish it in the pan with a splash of the water.', 'Temper the eggs with a little hot pasta water so they don\'t scramble.', 'Pecorino Romano is saltier than Parmigiano, so go easy on salting the water.', 'Guanciale should render slowly over medium heat until the fat is translucent.', 'Serve immediately; carbonara does not wait.'],
  ['Mercury retrograde is said to affect communication, so astrologers advise double-checking messages.', 'Your rising sign depends on the exact time and place of your birth.', 'A Scorpio sun with a Leo moon is often described as intense but warm.', 'Many people read their horoscope for their rising sign as well as their sun sign.', 'The full moon in Taurus favours slowing down and looking after your finances.', 'Saturn return happens around ages 29 and 58 and is associated with big life changes.'],
  ['In the last match the home side pressed high and won the ball back {n} times in the final third.', 'The striker has scored in {m} consecutive league games.', 'A 4-3-3 gives the full-backs freedom to overlap on the wings.', 'The transfer window closes at the end of the month, so expect late loan deals.', 'Expected goals suggest the result flattered the visitors.', 'The derby is sold out; tickets on resale sites cost three times the face value.'],
  ['To start a vegetable garden, pick a spot with at least six hours of sun.', 'Tomatoes like deep, infrequent watering rather than a little every day.', 'Marigolds planted between rows can keep some pests away.', 'Compost should smell earthy; if it smells sour it needs more dry material.', 'Sow lettuce every two weeks for a steady harvest.', 'Mulch keeps the soil moist and suppresses weeds.'],
  ['Bitcoin\'s supply is capped at 21 million coins.', 'Dollar-cost averaging means buying a fixed amount on a schedule regardless of price.', 'A hardware wallet keeps your private keys offline.', 'Staking rewards vary by network and carry lock-up periods.', 'Gas fees on Ethereum rise when the network is congested.', 'Never share your seed phrase with anyone.'],
];
