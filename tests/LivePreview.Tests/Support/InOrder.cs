using Xunit.Abstractions;
using Xunit.Sdk;

namespace LivePreview.Tests.Support;

/// <summary>
/// Runs a class's tests in the order of their <see cref="StepAttribute"/>, for classes that share one costly
/// fixture and end with a test that uses it up (deletes what the others read).
/// </summary>
public sealed class InOrder : ITestCaseOrderer
{
    public const string TypeName = "LivePreview.Tests.Support.InOrder";
    public const string Assembly = "LivePreview.Tests";

    public IEnumerable<TTestCase> OrderTestCases<TTestCase>(IEnumerable<TTestCase> testCases) where TTestCase : ITestCase =>
        testCases.OrderBy(t => Step(t));

    private static int Step(ITestCase test) =>
        test.TestMethod.Method.GetCustomAttributes(typeof(StepAttribute)).FirstOrDefault()?.GetConstructorArguments().Cast<int>().Single()
        ?? throw new InvalidOperationException($"{test.TestMethod.Method.Name} has no [Step(n)]: the order of this class's tests matters.");
}

[AttributeUsage(AttributeTargets.Method)]
public sealed class StepAttribute(int order) : Attribute
{
    public int Order { get; } = order;
}
