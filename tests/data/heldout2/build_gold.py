"""Run after make_corpus.py with the project venv. Writes gold/judgements.csv and gold/organisations.csv and checks every quote verbatim
against the extracted text of its corpus document (whitespace normalised)."""
import csv, re, html as H
from pathlib import Path
HERE = Path(__file__).resolve().parent
C = HERE / "corpus"
SH, EO = "self-harm-policy", "engagement-and-observation-policy"
DSH, CRA = "dsh-inpatient-policy", "clinical-risk-assessment-and-observation-procedure"
TEO, RSP, RPS, CFG = ("therapeutic-engagement-and-observation-policy", "risk-assessment-and-staying-safe-plans",
                      "restrictive-practice-and-searching-policy", "carers-family-and-friends-guide")
SOP, LIG = "supportive-observation-and-post-incident-sop", "ligature-and-environmental-safety-procedure"
M, P, N = "met", "partial", "not_met"
R = {
"H01": [
 (M, 0, SH, "In this policy, self-harm means any intentional act of self-poisoning or self-injury, whatever the apparent purpose or motivation behind it."),
 (M, 0, SH, "You should respond to anyone who has harmed themselves with compassion, respect and dignity, and without judgement."),
 (M, 0, SH, "If someone hurts themselves on the ward, you should first check their injuries, give first aid and get a doctor to review their physical health as soon as possible."),
 (M, 0, SH, "A mental health professional should complete a psychosocial assessment with the person, looking at their needs, strengths, relationships and circumstances, and what the self-harm means for them."),
 (M, 1, SH, "Do not use risk assessment tools, scales or a low, medium or high risk rating to predict whether someone will self-harm again or take their own life, or to decide their treatment, observation level, leave or discharge."),
 (M, 0, SH, "Work with the person to develop a risk formulation that looks at what makes things worse for them and what helps, and remember that risk can change quickly."),
 (M, 0, SH, "Write the safety plan together with the person."),
 (M, 0, SH, "The care and treatment plan should be written with the person and, if they agree, their family or carers."),
 (M, 0, SH, "Tell every person about the Independent Mental Health Advocacy (IMHA) or general advocacy service on their first day, and help them contact it if they want to."),
 (M, 0, SH, "Offer the person information about self-harm, the support and treatments available, how to look after wounds, and what to do in an emergency."),
 (M, 0, SH, "If you think they may not have capacity to make this decision, assess their capacity under the Mental Capacity Act 2005 and record what you decided and why."),
 (P, 0, SH, "With the person's agreement, invite their family, friends or carers to help with the safety plan and the care and treatment plan."),
 (P, 0, SH, "Please follow the Trust Safeguarding Adults and Children Policy, which is available on the intranet."),
 (M, 0, EO, "Each person's observation plan should be individual to them, reviewed at least every 24 hours by the MDT, and set at the least restrictive level that keeps them safe."),
 (P, 0, EO, "Staff should check bedrooms and communal areas each day for items that could be used to self-harm, such as glass, blades, cords or plastic bags, and remove them."),
 (P, 0, SH, "Some people may find it helpful to talk about harm-minimisation, such as keeping wounds clean and knowing when to get medical help."),
 (N, 0, "", ""),
 (P, 0, SH, "The ward psychologist can offer psychological support to people on the ward."),
 (P, 0, SH, "Before discharge, agree with the person who will follow them up, ideally within 72 hours, and who they can contact in a crisis, day or night."),
 (M, 0, SH, "All ward staff must complete the Trust's self-harm training, which covers understanding self-harm, stigma, assessment, formulation and safety planning."),
],
"H02": [
 (P, 0, DSH, "For the purposes of this policy, deliberate self-harm is defined as an act of self-injury, undertaken without suicidal intent, by which an individual seeks to cope with overwhelming emotional distress."),
 (M, 0, DSH, "It is expected that all patients who self-harm will be responded to with compassion, respect and dignity, and in a manner which is non-judgemental; punitive responses, including the withdrawal of care, leave or privileges as a consequence of self-harm, are not to be employed under any circumstances."),
 (M, 0, DSH, "Following any episode of self-harm, the injuries sustained shall be assessed by a registered nurse without delay, first aid shall be administered, and a medical review of the patient's physical condition shall be requested; where the injury or ingestion is such that it cannot safely be managed on the unit, transfer to the nearest Emergency Department shall be arranged."),
 (P, 0, DSH, "Following each incident, a risk assessment shall be completed using the Trust Clinical Risk Screening Tool (CRST), and the resulting risk score shall be recorded in the electronic patient record."),
 (N, 1, CRA, "Each patient shall be assigned an overall risk rating of low, medium or high, and the level of observation shall be determined by reference to this rating as set out in Table 2."),
 (P, 0, DSH, "A risk formulation shall be recorded in the clinical record."),
 (P, 1, DSH, "Where it is considered clinically appropriate, the patient may be invited to enter into a written agreement with the nursing team in which he or she undertakes not to engage in self-harm while resident on the unit."),
 (M, 0, DSH, "A care plan shall be developed in collaboration with the patient and, where the patient consents, with his or her carers; the plan shall address the patient's needs and identified safety considerations and shall be reviewed at each multidisciplinary team meeting."),
 (M, 0, DSH, "Patients shall be actively involved in all decisions concerning their care and treatment, and shall be informed of their right to the support of an Independent Mental Health Advocate (IMHA) where they are detained under the Mental Health Act 1983."),
 (P, 0, DSH, "Appropriate information shall be made available to the patient."),
 (M, 0, DSH, "Consent shall be sought before any examination or treatment of injuries is undertaken; where there is reason to doubt the patient's capacity to consent, an assessment of capacity shall be undertaken and recorded in accordance with the Mental Capacity Act 2005."),
 (P, 0, DSH, "The patient's next of kin shall be informed of any serious incident of self-harm, subject to the patient's consent."),
 (M, 0, DSH, "On each occasion on which a patient self-harms, consideration shall be given to whether the self-harm may be associated with abuse, neglect or exploitation, and whether any children or other dependants may be at risk; where such concerns arise, a referral shall be made in accordance with the Trust Safeguarding Adults and Safeguarding Children procedures."),
 (P, 0, CRA, "The observation level shall be reviewed at least every 24 hours and the outcome recorded."),
 (P, 0, CRA, "Environmental ligature audits shall be undertaken annually and following any ligature incident, using the Trust Ligature Audit Tool, and the resulting action plan shall be monitored by the Health and Safety Committee."),
 (N, 0, "", ""),
 (N, 0, "", ""),
 (M, 0, DSH, "Patients who self-harm repeatedly shall be offered referral to the psychology service for consideration of a psychological intervention specifically structured for people who self-harm, such as dialectical behaviour therapy (DBT) or a cognitive behavioural therapy (CBT)-informed intervention."),
 (P, 0, DSH, "On discharge, follow-up by the community mental health team shall be arranged within seven days, and the patient shall be provided with the telephone number of the Crisis Resolution and Home Treatment Team."),
 (M, 0, DSH, "All clinical staff working on inpatient units shall attend the Trust's one-day training in the understanding and management of self-harm, which addresses the nature of self-harm, stigma, assessment and safety planning, and shall update this training every three years."),
],
"H03": [
 (N, 0, "", ""),
 (P, 0, TEO, "All patients must be treated with dignity and respect at all times."),
 (P, 0, TEO, "If a person harms themselves while on observation, the member of staff must summon help, give first aid and ensure the duty doctor is called to assess the injury."),
 (P, 0, RSP, "A psychosocial assessment is carried out by a mental health professional when the person is admitted, covering their needs, strengths, circumstances and what has led to admission."),
 (M, 0, RSP, "Do not use risk assessment tools or scales, or a global rating of low, medium or high risk, to predict future suicide or self-harm, or to decide who is offered treatment, what level of observation they need, or whether they can have leave or be discharged."),
 (M, 0, RSP, "The risk formulation should be developed with the person, consider the factors that increase and reduce their risk, recognise that risk can change over time, and be used to inform their staying safe plan and care plan."),
 (M, 0, RSP, "The staying safe plan is written with the person, not for them."),
 (P, 0, RSP, "Each person must have a care plan which reflects the risks identified in the formulation and which is reviewed at each MDT review."),
 (P, 0, RSP, "People should be involved in decisions about their care wherever possible."),
 (N, 0, "", ""),
 (P, 0, CFG, "If they say no, we have to respect that, unless there is a serious risk to their life or to someone else."),
 (M, 0, CFG, "With the person's agreement, involve their family, friends or carers in the assessment, in planning their care and in writing and reviewing their staying safe plan."),
 (P, 0, RSP, "Safeguarding concerns should be managed in line with the Safeguarding Adults Policy."),
 (M, 0, TEO, "Observation is a therapeutic intervention: the member of staff should use the time to engage positively with the person, offering conversation, activity and emotional support, rather than simply watching them."),
 (M, 1, RPS, "Environmental safety must be balanced against people's dignity, privacy and comfort: wards should not be made bare or institutional where individual plans can manage the risk instead."),
 (N, 0, "", ""),
 (N, 0, "", ""),
 (N, 0, "", ""),
 (M, 0, RSP, "Before any period of leave and before discharge, review the staying safe plan with the person and, if they agree, with their family or friends."),
 (P, 0, TEO, "Staff involved in an incident will be offered a post-incident debrief by the nurse in charge or the ward manager, and further support through the Staff Wellbeing Hub if they need it."),
],
"H04": [
 (N, 0, "", ""),
 (P, 0, SOP, "Observation to be carried out in a manner that maintains SU privacy and dignity."),
 (M, 0, SOP, "NIC to ensure injuries assessed and first aid given immediately; duty Dr to complete physical health review; transfer SU to ED if injury or ingestion cannot be managed on ward."),
 (P, 0, SOP, "RC or duty Dr to review SU risk assessment following each DSH incident."),
 (N, 0, "", ""),
 (N, 0, "", ""),
 (P, 0, SOP, "Named nurse to complete or update crisis plan after each DSH incident."),
 (P, 0, SOP, "Update care plan following incident."),
 (N, 0, "", ""),
 (N, 0, "", ""),
 (N, 0, "", ""),
 (P, 0, SOP, "Inform NOK (with SU consent) of any DSH incident requiring ED transfer."),
 (M, 0, SOP, "Consider safeguarding for every DSH incident: possible abuse, neglect or exploitation (incl. by other SUs or visitors) and any children or dependants; if concerns, raise safeguarding referral via Datix and inform the Trust Safeguarding Team per SG-02."),
 (P, 0, SOP, "Obs levels reviewed by MDT every 24h, and after any incident."),
 (P, 0, LIG, "LRA for every ward: annually; after any ligature incident; after any refurbishment or change of use."),
 (N, 1, SOP, "Harm minimisation (incl. allowing SU to self-injure using clean implements) is not permitted on Trust inpatient wards under any circumstances."),
 (N, 0, "", ""),
 (N, 0, "", ""),
 (N, 0, "", ""),
 (M, 0, SOP, "All ward staff to complete DSH awareness training (covers understanding self-harm, stigma, assessment and safety planning) at induction and 3-yearly."),
],
}
# extra quotes named in NOTES.md (conflicts / second elements) that must also be verbatim
EXTRA = [
 ("H01", EO, "Observation levels are set using the RAG rating from the risk screening tool: red means level 3 or 4, amber means level 2 and green means level 1."),
 ("H01", SH, "Once the person is physically safe, the nurse in charge and the doctor should assess the person's mental state and immediate safety, and talk with them about how they are feeling."),
 ("H01", SH, "This assessment should be repeated after every new episode of self-harm on the ward, because the person's needs and circumstances may have changed."),
 ("H01", SH, "Give the person a copy of their safety plan to keep."),
 ("H01", SH, "Review the safety plan with the person at least once a week and after any episode of self-harm."),
 ("H01", SH, "Explain to the person what information we keep confidential, and when we may need to share information with others, for example if there is a serious risk to them or someone else."),
 ("H01", SH, "Self-harm must never be met with punishment, such as taking away leave, activities or personal items as a consequence of the act."),
 ("H01", SH, "After a self-harm incident, the nurse in charge should offer a debrief to the staff involved, and the ward should discuss the incident at its next reflective practice session."),
 ("H01", EO, "Observation is a therapeutic intervention."),
 ("H01", SH, "We used to give everyone a risk rating of low, medium or high."),
 ("H02", DSH, "A safety plan shall be completed by the named nurse prior to the patient's first period of unescorted leave."),
 ("H02", DSH, "The patient's mental state and immediate safety shall be assessed by the duty doctor at the earliest opportunity, and in any case within four hours."),
 ("H02", DSH, "The patient shall be informed of the extent to which information will be held in confidence, and of the circumstances in which it may be necessary for information to be shared with others without consent."),
 ("H02", DSH, "A debrief shall be offered to staff following any serious incident of self-harm, and self-harm shall be a standing item for discussion in ward reflective practice groups."),
 ("H02", CRA, "A patient who has a risk rating of high in the self-harm or suicide domain shall not be granted unescorted leave until the rating has been reduced to medium or low at a multidisciplinary team review."),
 ("H03", RPS, "Following any ligature incident on the ward, all patients on the ward will have belts, cords and shoelaces removed for a minimum of 72 hours, irrespective of their individual risk."),
 ("H03", RPS, "Blanket restrictions must be avoided; any restriction must be justified for the individual, recorded and reviewed."),
 ("H03", RPS, "Each ward must have a ligature risk assessment, completed annually by the ward manager with the Estates team and a member of the patient safety team, and reviewed after any ligature incident or change to the environment."),
 ("H03", RSP, "Until 2019 some wards asked patients to sign a 'no-harm agreement'."),
 ("H03", RSP, "Give the person a copy of their staying safe plan in a format they can use."),
 ("H03", RSP, "Review the staying safe plan at least weekly, after any incident of self-harm, and before leave and discharge."),
 ("H03", RSP, "The discharge plan must be agreed with the person and include a follow-up contact within 72 hours of discharge and the numbers to call in a crisis, including the 24-hour Ashgrove Vale Crisis Line."),
 ("H03", CFG, "Every carer must be offered a carer's assessment under the Care Act 2014 and told about the Ashgrove Vale Carers' Centre, whether or not the person has agreed to information about them being shared."),
 ("H03", TEO, "Observation levels must be reviewed at least daily by the MDT and should always be the least restrictive level that will keep the person safe."),
 ("H03", TEO, "The observation care plan must be individualised, describing what the person finds helpful and unhelpful when they are distressed."),
 ("H03", RSP, "All registered clinical staff must complete the Trust's Clinical Risk Formulation training (one day) within their first year, with a refresher every three years."),
 ("H04", SOP, "Duty Dr or RC to assess SU mental state and immediate safety within 4 hrs of incident."),
 ("H04", SOP, "NIC to arrange hot debrief for staff after every DSH incident; reflective practice session within 7 days for Grade 3 and above."),
 ("H04", SOP, "Do not use no-harm contracts."),
 ("H04", LIG, "Restricted items (all SUs): lighters, matches, glass, aerosols, razors (supervised use only), plastic bags, cables over 1m."),
]
DEF = {
 "H01": ("true", "nice", SH, R["H01"][0][3], "true"),
 "H02": ("true", "divergent", DSH, R["H02"][0][3], "false"),
 "H03": ("false", "none", "", "", "false"),
 "H04": ("false", "none", "", "", "true"),
}

def text_of(org, stem):
    f = next((C / org).glob(stem + ".*"))
    if f.suffix == ".pdf":
        from pypdf import PdfReader
        t = " ".join(p.extract_text() or "" for p in PdfReader(str(f)).pages)
    elif f.suffix == ".docx":
        import docx
        d = docx.Document(str(f))
        t = " ".join([p.text for p in d.paragraphs] + [c.text for tb in d.tables for r in tb.rows for c in r.cells])
    elif f.suffix == ".html":
        t = H.unescape(re.sub(r"<[^>]+>", " ", f.read_text()))
    else:
        t = f.read_text()
    return re.sub(r"\s+", " ", t)

def main():
    bad = 0
    with open(HERE / "gold/judgements.csv", "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["org_id", "standard_id", "verdict", "conflicts", "evidence_document", "evidence_quote"])
        for org, rows in R.items():
            assert len(rows) == 20
            for i, (v, c, doc, q) in enumerate(rows, 1):
                w.writerow([org, f"S{i:02d}", v, "true" if c else "false", doc, q])
                if v == N and not c: assert not q and not doc
                if q and re.sub(r"\s+", " ", q) not in text_of(org, doc):
                    print("NOT FOUND", org, i, doc, q[:60]); bad += 1
    for org, doc, q in EXTRA:
        if q not in text_of(org, doc):
            print("EXTRA NOT FOUND", org, doc, q[:60]); bad += 1
    with open(HERE / "gold/organisations.csv", "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["org_id", "has_dedicated_policy", "definition_class", "definition_document", "definition_text", "harm_reduction_mentioned"])
        for org, t in DEF.items():
            w.writerow([org, *t])
    for org, rows in R.items():
        cnt = {k: sum(r[0] == k for r in rows) for k in (M, P, N)}
        print(org, cnt, "conflicts", sum(r[1] for r in rows))
    print("bad quotes:", bad)

main()
